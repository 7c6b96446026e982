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

/**
 * A filter that passes each Kafka log position (topic, partition, offset) once: a consumer group
 * that rebalances is handed again what it had read and not committed. A duplicate written to the
 * topic has another offset, so it still passes.
 */
export function firstDelivery(): (topic: string, partition: number, offset: string) => boolean {
  const seen = new Set<string>();
  return (topic, partition, offset) => {
    const position = `${topic}/${partition}/${offset}`;
    if (seen.has(position)) return false;
    seen.add(position);
    return true;
  };
}
