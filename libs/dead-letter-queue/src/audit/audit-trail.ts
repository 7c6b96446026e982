import { type Admin } from 'kafkajs';

/**
 * Creates `<group>.dlq.audit` when missing: one partition (one ordered history), deleted never
 * (`cleanup.policy=delete` with `retention.ms=-1`: no compaction, no expiry).
 */
export async function ensureAuditTopic(admin: Admin, topic: string): Promise<void> {
  if ((await admin.listTopics()).includes(topic)) return;
  await admin
    .createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'retention.ms', value: '-1' },
            { name: 'retention.bytes', value: '-1' },
          ],
        },
      ],
    })
    .catch((error: unknown) => {
      // Another redrive created it first.
      if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
    });
}
