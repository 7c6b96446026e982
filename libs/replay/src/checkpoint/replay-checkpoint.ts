import { SluiceError } from '@sluice/errors';
import { type PartitionRange } from '@sluice/kafka';

/** A checkpoint record Sluice did not write (by hand, another tool): it cannot be resumed. */
export class MalformedCheckpointError extends SluiceError {
  readonly code = 'REPLAY_CHECKPOINT_MALFORMED';
  readonly retriable = false;
}

/**
 * What a replay is, as given by its operator: compared when the same replay id runs again, so a
 * resume continues the same replay (the resolved ranges are stored beside it: "to the end" means
 * the end when the replay started, not when it is resumed).
 */
export interface ReplayDefinition {
  readonly source: string;
  readonly target: string;
  readonly reencodeLatest: boolean;
  /** The range as the operator wrote it (flags), normalised; compared verbatim. */
  readonly range: string;
}

/** A replay's durable state: written in the same transaction as the records it accounts for. */
export interface ReplayCheckpoint {
  readonly replayId: string;
  readonly definition: ReplayDefinition;
  readonly ranges: readonly PartitionRange[];
  /** Per source partition, the next offset to read (everything before it is published). */
  readonly next: ReadonlyMap<number, bigint>;
  /** Per source partition, records published / skipped (`--skip-bad`) so far, over all runs. */
  readonly published: ReadonlyMap<number, number>;
  readonly skipped: ReadonlyMap<number, number>;
  readonly status: 'running' | 'done';
  readonly startedAt: string;
  readonly updatedAt: string;
}

interface StoredCheckpoint {
  v: 1;
  replayId: string;
  definition: ReplayDefinition;
  ranges: Array<{
    partition: number;
    from: string;
    to: string;
    next: string;
    published: number;
    skipped: number;
  }>;
  status: 'running' | 'done';
  startedAt: string;
  updatedAt: string;
}

/** The checkpoint record's value: JSON, readable with any Kafka tool. */
export function encodeCheckpoint(c: ReplayCheckpoint): Buffer {
  const stored: StoredCheckpoint = {
    v: 1,
    replayId: c.replayId,
    definition: c.definition,
    ranges: c.ranges.map((r) => ({
      partition: r.partition,
      from: String(r.from),
      to: String(r.to),
      next: String(c.next.get(r.partition) ?? r.from),
      published: c.published.get(r.partition) ?? 0,
      skipped: c.skipped.get(r.partition) ?? 0,
    })),
    status: c.status,
    startedAt: c.startedAt,
    updatedAt: c.updatedAt,
  };
  return Buffer.from(JSON.stringify(stored));
}

/** Reads a checkpoint record's value back; `where` names the record in the error. */
export function decodeCheckpoint(value: Buffer, where: string): ReplayCheckpoint {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (error) {
    throw new MalformedCheckpointError(`replay checkpoint ${where} is not JSON`, { cause: error });
  }
  const stored = parsed as StoredCheckpoint;
  if (typeof parsed !== 'object' || parsed === null || stored.v !== 1 || !Array.isArray(stored.ranges)) {
    const v = (parsed as { v?: unknown } | null)?.v;
    throw new MalformedCheckpointError(`replay checkpoint ${where} has an unknown layout (v=${String(v)})`);
  }
  const problem = checkpointProblem(stored);
  if (problem !== undefined)
    throw new MalformedCheckpointError(
      `replay checkpoint ${where} is not one Sluice wrote (${problem}): it cannot be resumed; run the replay under another id`,
    );
  return {
    replayId: stored.replayId,
    definition: stored.definition,
    ranges: stored.ranges.map((r) => ({ partition: r.partition, from: BigInt(r.from), to: BigInt(r.to) })),
    next: new Map(stored.ranges.map((r) => [r.partition, BigInt(r.next)])),
    published: new Map(stored.ranges.map((r) => [r.partition, r.published])),
    skipped: new Map(stored.ranges.map((r) => [r.partition, r.skipped])),
    status: stored.status,
    startedAt: stored.startedAt,
    updatedAt: stored.updatedAt,
  };
}

/** What makes a v1 checkpoint unusable, or undefined. */
function checkpointProblem(s: StoredCheckpoint): string | undefined {
  const d = s.definition as Partial<ReplayDefinition> | null | undefined;
  if (typeof s.replayId !== 'string') return 'no replayId';
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.source !== 'string' ||
    typeof d.target !== 'string' ||
    typeof d.range !== 'string' ||
    typeof d.reencodeLatest !== 'boolean'
  )
    return 'definition is not {source, target, range, reencodeLatest}';
  if (s.status !== 'running' && s.status !== 'done') return `status ${String(s.status)}`;
  for (const [i, r] of s.ranges.entries()) {
    const ok =
      typeof r === 'object' &&
      r !== null &&
      Number.isInteger(r.partition) &&
      r.partition >= 0 &&
      [r.from, r.to, r.next].every((o) => typeof o === 'string' && /^\d+$/.test(o)) &&
      Number.isInteger(r.published) &&
      Number.isInteger(r.skipped);
    if (!ok) return `ranges[${i}] is not {partition, from, to, next, published, skipped}`;
  }
  return undefined;
}

/** How `asked` differs from the definition a replay was started with (empty: the same replay). */
export function definitionDifferences(stored: ReplayDefinition, asked: ReplayDefinition): string[] {
  const out: string[] = [];
  if (stored.source !== asked.source) out.push(`source topic ${stored.source}, now ${asked.source}`);
  if (stored.target !== asked.target) out.push(`target ${stored.target}, now ${asked.target}`);
  if (stored.range !== asked.range) out.push(`range ${stored.range}, now ${asked.range}`);
  if (stored.reencodeLatest !== asked.reencodeLatest) {
    out.push(
      `--reencode-latest ${stored.reencodeLatest ? 'on' : 'off'}, now ${asked.reencodeLatest ? 'on' : 'off'}`,
    );
  }
  return out;
}
