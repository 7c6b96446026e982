import { type Admin } from 'kafkajs';

/**
 * Deletes those of `topics` that exist; never rejects (clean-up). kafkajs's deleteTopics takes a
 * missing topic (a dead-letter topic nothing was ever dead-lettered to) for a retriable error and
 * retries the whole request for ~10 s before giving up: listing first keeps clean-up to one request.
 */
export async function deleteTopicsIfPresent(admin: Admin, topics: readonly string[]): Promise<void> {
  try {
    const existing = new Set(await admin.listTopics());
    const present = [...new Set(topics)].filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } catch {
    // Clean-up only: a topic left behind costs disk, not correctness.
  }
}
