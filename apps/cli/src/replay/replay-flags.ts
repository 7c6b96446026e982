import { randomBytes } from 'node:crypto';
import { type RangeBound, type RangeSpec } from '@sluice/kafka';
import { describeReplayRange } from '@sluice/replay';
import { type ConnectionFlags } from '../cli-connections';
import { timeArg, UsageError } from '../cli-errors';

/** The flags of `sluice replay` as commander hands them over. */
export interface ReplayFlags extends ConnectionFlags {
  topic?: string;
  fromOffset: string[];
  toOffset: string[];
  fromTime?: string;
  toTime?: string;
  partition: number[];
  toTopic?: string;
  group?: string;
  reencodeLatest?: boolean;
  skipBad?: boolean;
  replayId?: string;
  resume?: string;
  rate?: number;
  dryRun?: boolean;
  quiet?: boolean;
  output: string;
}

const OFFSET = /^\d+$/;
const PARTITION_OFFSET = /^(\d+):(\d+)$/;
const REPLAY_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** `--from-offset` / `--to-offset` values: one offset for all partitions, or PARTITION:OFFSET pairs. */
export function offsetBound(flag: string, values: readonly string[]): RangeBound | undefined {
  if (values.length === 0) return undefined;
  const all = values.filter((v) => OFFSET.test(v));
  const pairs = values.filter((v) => PARTITION_OFFSET.test(v));
  const bad = values.find((v) => !OFFSET.test(v) && !PARTITION_OFFSET.test(v));
  if (bad !== undefined) throw new UsageError(`${flag} expects OFFSET or PARTITION:OFFSET, got '${bad}'`);
  if (all.length > 0 && (pairs.length > 0 || all.length > 1)) {
    throw new UsageError(`${flag}: give one OFFSET for every partition, or PARTITION:OFFSET per partition`);
  }
  if (all.length === 1) return { offset: BigInt(all[0]) };
  const offsets = new Map<number, bigint>();
  for (const pair of pairs) {
    const [, p, o] = PARTITION_OFFSET.exec(pair)!;
    if (offsets.has(Number(p))) throw new UsageError(`${flag} names partition ${p} twice`);
    offsets.set(Number(p), BigInt(o));
  }
  return { offsets };
}

/** `--from-time` / `--to-time`: an ISO-8601 time or ms since the epoch. */
export function timeBound(flag: string, value: string | undefined): RangeBound | undefined {
  return value === undefined ? undefined : { timestamp: timeArg(flag)(value) };
}

/** The range the flags select; conflicting flags are usage errors naming them. */
export function rangeFromFlags(flags: ReplayFlags): RangeSpec {
  if (flags.fromOffset.length > 0 && flags.fromTime !== undefined) {
    throw new UsageError('give --from-offset or --from-time, not both');
  }
  if (flags.toOffset.length > 0 && flags.toTime !== undefined) {
    throw new UsageError('give --to-offset or --to-time, not both');
  }
  const from = offsetBound('--from-offset', flags.fromOffset) ?? timeBound('--from-time', flags.fromTime);
  const to = offsetBound('--to-offset', flags.toOffset) ?? timeBound('--to-time', flags.toTime);
  return {
    ...(flags.partition.length > 0 && { partitions: flags.partition }),
    ...(from && { from }),
    ...(to && { to }),
  };
}

/** The range as a replay's definition stores it (shared with the console). */
export const describeRange = describeReplayRange;

/** Which flags name one end of the range, for errors about it. */
export function boundFlag(flags: ReplayFlags, end: 'from' | 'to'): string {
  if (end === 'from') return flags.fromTime !== undefined ? '--from-time' : '--from-offset';
  return flags.toTime !== undefined ? '--to-time' : '--to-offset';
}

/** A replay id: given (checked) or made from the time and a few random bytes. */
export function replayIdFrom(value: string | undefined, flag = '--replay-id'): string {
  if (value === undefined) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    return `${stamp}-${randomBytes(3).toString('hex')}`;
  }
  if (!REPLAY_ID.test(value)) {
    throw new UsageError(`${flag} expects letters, digits, '.', '_' or '-' (at most 100), got '${value}'`);
  }
  return value;
}

/** Which mode the flags ask for; a usage error when they ask for none, both, or mix their flags. */
export function replayMode(flags: ReplayFlags): 'republish' | 'resume' | 'reset' {
  const rangeFlags =
    flags.fromOffset.length > 0 ||
    flags.toOffset.length > 0 ||
    flags.fromTime !== undefined ||
    flags.toTime !== undefined ||
    flags.partition.length > 0;
  if (flags.resume !== undefined) {
    // A resume re-publishes for real: a --dry-run here would be a promise the command cannot keep.
    if (flags.dryRun) throw new UsageError('--dry-run only goes with --group; --resume re-publishes');
    const extra = [
      flags.topic !== undefined && '--topic',
      rangeFlags && 'the range flags',
      flags.toTopic !== undefined && '--to-topic',
      flags.group !== undefined && '--group',
      flags.replayId !== undefined && '--replay-id',
      flags.reencodeLatest && '--reencode-latest',
    ].filter(Boolean);
    if (extra.length > 0) {
      throw new UsageError(
        `--resume takes the topic, range and target from the replay's checkpoint; leave out ${extra.join(', ')}`,
      );
    }
    return 'resume';
  }
  if (flags.topic === undefined) throw new UsageError('--topic is required (or --resume <id>)');
  if (flags.toTopic !== undefined && flags.group !== undefined) {
    throw new UsageError('give --to-topic (re-publish) or --group (reset a consumer group), not both');
  }
  if (flags.toTopic === undefined && flags.group === undefined) {
    throw new UsageError('give --to-topic TARGET to re-publish, or --group G to reset a consumer group');
  }
  if (flags.group !== undefined) {
    // A reset moves the group to the range start and the group processes on from there: an end
    // would be silently ignored, so it is refused.
    const republishOnly = [
      (flags.toOffset.length > 0 || flags.toTime !== undefined) && boundFlag(flags, 'to'),
      flags.reencodeLatest && '--reencode-latest',
      flags.skipBad && '--skip-bad',
      flags.rate !== undefined && '--rate',
    ].filter(Boolean);
    if (republishOnly.length > 0) {
      const verb = republishOnly.length === 1 ? 'goes' : 'go';
      throw new UsageError(`${republishOnly.join(', ')} only ${verb} with --to-topic`);
    }
    return 'reset';
  }
  if (flags.dryRun) throw new UsageError('--dry-run only goes with --group');
  if (flags.toTopic === flags.topic) throw new UsageError('--to-topic must be another topic than --topic');
  if (flags.skipBad && !flags.reencodeLatest)
    throw new UsageError('--skip-bad only goes with --reencode-latest');
  return 'republish';
}
