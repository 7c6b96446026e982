import { randomUUID } from 'node:crypto';
import { type Admin, type Kafka } from 'kafkajs';
import { checkRangeSpec, type RangeSpec, resolveRange } from '@sluice/kafka';
import { groupIsIdle, GroupActiveError, planGroupReset, resetGroupOffsets } from '@sluice/replay';

/** A replay as the console's form says it (`sluice replay`'s flags). */
export interface ReplayRequest {
  readonly topic: string;
  readonly range: RangeSpec;
  /** Re-publish the range into this topic (run by ReplayRunner, or `sluice replay --to-topic`). */
  readonly toTopic?: string;
  /** Move this consumer group to the range start. */
  readonly group?: string;
}

export interface PlannedPartition {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly records: string;
  /** Group reset: the group's committed offset now. */
  readonly committed?: string | null;
}

export interface ReplayPlan {
  readonly mode: 'republish' | 'reset';
  readonly topic: string;
  readonly target: string;
  readonly partitions: readonly PlannedPartition[];
  readonly records: string;
  /** Group reset: whether it could run now (no active member), and why not. */
  readonly runnable: boolean;
  readonly refusal?: string;
  /** The equivalent command, to run it from a terminal. */
  readonly command: string;
}

/**
 * The console's replay form through @sluice/replay, dry run first: the planned range per
 * partition (resolved against the topic's offsets or timestamps), and for a group the reset plan
 * `sluice replay --group --dry-run` prints; a group reset can then be run (refused while the group
 * has members). A re-publish is run by ReplayRunner.
 */
export class ReplayPlanner {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
  ) {}

  async plan(request: ReplayRequest): Promise<ReplayPlan> {
    checkRangeSpec(request.range);
    if (request.group !== undefined) {
      const plan = await planGroupReset(this.admin, request.group, request.topic, request.range);
      const partitions = plan.steps.map((s) => ({
        partition: s.partition,
        from: String(s.offset),
        to: String(s.end),
        records: String(s.toReprocess),
        committed: s.committed === undefined ? null : String(s.committed),
      }));
      const runnable = groupIsIdle(plan);
      return {
        mode: 'reset',
        topic: request.topic,
        target: request.group,
        partitions,
        records: String(plan.steps.reduce((n, s) => n + s.toReprocess, 0n)),
        runnable,
        ...(runnable
          ? {}
          : {
              refusal: `consumer group ${plan.group} has ${plan.members} active member(s) (state ${plan.state}): stop them before resetting its offsets`,
            }),
        command: command(request),
      };
    }
    const ranges = await resolveRange(this.admin, request.topic, request.range);
    return {
      mode: 'republish',
      topic: request.topic,
      target: request.toTopic!,
      partitions: ranges.map((r) => ({
        partition: r.partition,
        from: String(r.from),
        to: String(r.to),
        records: String(r.to - r.from),
      })),
      records: String(ranges.reduce((n, r) => n + (r.to - r.from), 0n)),
      // Run from the console (ReplayRunner) or from a terminal with the command below.
      runnable: true,
      command: command(request),
    };
  }

  /** Runs a group reset (after its dry run): refused with GroupActiveError while members run. */
  async resetGroup(request: ReplayRequest & { readonly group: string }) {
    checkRangeSpec(request.range);
    const plan = await planGroupReset(this.admin, request.group, request.topic, request.range);
    if (!groupIsIdle(plan)) throw new GroupActiveError(plan.group, plan.state, plan.members);
    const resetId = randomUUID();
    await resetGroupOffsets(this.kafka, this.admin, plan, resetId);
    return { resetId, group: plan.group, topic: plan.topic, partitions: plan.steps.length };
  }
}

function command(request: ReplayRequest): string {
  const parts = ['sluice replay', `--topic ${request.topic}`];
  const bound = (flag: string, b: RangeSpec['from']) => {
    if (b === undefined) return;
    if ('offset' in b) parts.push(`--${flag}-offset ${b.offset}`);
    else if ('timestamp' in b) parts.push(`--${flag}-time ${new Date(b.timestamp).toISOString()}`);
    else for (const [p, o] of b.offsets) parts.push(`--${flag}-offset ${p}:${o}`);
  };
  bound('from', request.range.from);
  bound('to', request.range.to);
  for (const p of request.range.partitions ?? []) parts.push(`--partition ${p}`);
  parts.push(request.group !== undefined ? `--group ${request.group}` : `--to-topic ${request.toTopic}`);
  return parts.join(' ');
}
