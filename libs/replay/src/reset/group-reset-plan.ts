import { type Admin } from 'kafkajs';
import { offsetResetId, type RangeSpec, resolveRange } from '@sluice/kafka';

/** One partition of a group reset: where the group stands and where it will start. */
export interface GroupResetStep {
  readonly partition: number;
  /** The group's committed offset now (undefined: none committed). */
  readonly committed: bigint | undefined;
  /** The reset this committed offset came from, when it is one. */
  readonly committedResetId: string | undefined;
  /** Where the group will start: the range start. */
  readonly offset: bigint;
  /** The log end now: records from `offset` to it will be processed (again). */
  readonly end: bigint;
  readonly toReprocess: bigint;
}

export interface GroupResetPlan {
  readonly group: string;
  readonly topic: string;
  /** The group's state (`Empty`, `Dead`: no members; `Stable`, ...: members) and member count. */
  readonly state: string;
  readonly members: number;
  readonly steps: readonly GroupResetStep[];
}

/** True when a group can have its offsets written: no member is running. */
export function groupIsIdle(plan: Pick<GroupResetPlan, 'state'>): boolean {
  return plan.state === 'Empty' || plan.state === 'Dead';
}

/**
 * What resetting `group` on `topic` to the start of `range` would do, per partition: its committed
 * offset now, the new offset, and how many records it would process again (to the log end).
 * Changes nothing.
 */
export async function planGroupReset(
  admin: Admin,
  group: string,
  topic: string,
  range: RangeSpec,
): Promise<GroupResetPlan> {
  const ranges = await resolveRange(admin, topic, range);
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, p]));
  const { groups } = await admin.describeGroups([group]);
  const description = groups[0];
  const steps = ranges.map((r) => {
    const c = byPartition.get(r.partition);
    const offset = c !== undefined && Number(c.offset) >= 0 ? BigInt(c.offset) : undefined;
    const end = ends.get(r.partition) ?? r.to;
    return {
      partition: r.partition,
      committed: offset,
      committedResetId: offsetResetId(c?.metadata),
      offset: r.from,
      end,
      toReprocess: end - r.from,
    };
  });
  return {
    group,
    topic,
    state: description?.state ?? 'Dead',
    members: description?.members.length ?? 0,
    steps,
  };
}
