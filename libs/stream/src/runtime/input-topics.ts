import { RetriableError } from '@sluice/errors';
import { createKafkaClient, type KafkaConfig } from '@sluice/kafka';

/**
 * Checks that a consumer's input topics exist. A missing one is waited for, not a failure: in a
 * pipeline installed in one step the sink may start before the source has written a row of every
 * table (a Kafka Connect sink waits too). The error names the topics, for `/status`.
 */
export async function requireInputTopics(kafka: KafkaConfig, topics: readonly string[]): Promise<void> {
  const admin = createKafkaClient(kafka).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0)
      throw new RetriableError(`input topic(s) ${missing.join(', ')} do not exist (yet): waiting for them`, {
        code: 'INPUT_TOPIC_MISSING',
      });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
