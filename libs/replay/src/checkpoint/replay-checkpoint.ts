import { type PartitionRange } from '@sluice/kafka';

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
  let stored: StoredCheckpoint;
  try {
    stored = JSON.parse(value.toString('utf8')) as StoredCheckpoint;
  } catch (error) {
    throw new Error(`replay checkpoint ${where} is not JSON`, { cause: error });
  }
  if (stored.v !== 1 || !Array.isArray(stored.ranges)) {
    throw new Error(`replay checkpoint ${where} has an unknown layout (v=${String(stored.v)})`);
  }
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
