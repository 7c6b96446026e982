import { type Admin, type Kafka } from 'kafkajs';
import { createConsumer, offsetResetMetadata } from '@sluice/kafka';
import { GroupActiveError } from '../replay-errors';
import { type GroupResetPlan, groupIsIdle } from './group-reset-plan';

/**
 * Writes a reset plan: commits each partition's new offset for the group, with offset metadata
 * `sluice.reset:<resetId>` so that a consumer keeping its position outside Kafka (sink-postgres)
 * can tell an operator's reset from its own progress and take it once.
 *
 * Refuses (GroupActiveError) while the group has members, checked again right before writing.
 * kafkajs's admin cannot commit offset metadata, so the commit is made by a short-lived member of
 * the group itself (joined, all partitions paused, nothing consumed), which leaves at once.
 */
export async function resetGroupOffsets(
  kafka: Kafka,
  admin: Admin,
  plan: GroupResetPlan,
  resetId: string,
): Promise<void> {
  const { groups } = await admin.describeGroups([plan.group]);
  const now = { state: groups[0]?.state ?? 'Dead', members: groups[0]?.members.length ?? 0 };
  if (!groupIsIdle(now)) throw new GroupActiveError(plan.group, now.state, now.members);
  if (plan.steps.length === 0) return;

  const consumer = createConsumer(kafka, { groupId: plan.group });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: plan.topic });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    consumer.pause([{ topic: plan.topic }]);
    await joined;
    const metadata = offsetResetMetadata(resetId);
    await consumer.commitOffsets(
      plan.steps.map((s) => ({
        topic: plan.topic,
        partition: s.partition,
        offset: String(s.offset),
        metadata,
      })),
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
