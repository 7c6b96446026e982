import { SluiceError } from '@sluice/errors';
import { type DeadLetter } from '../dead-letter/dead-letter';
import { type ParkedKey } from '../redrive/redrive-plan';

/** Per DLQ partition: delete [from, to). */
export interface PurgePartition {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

export interface PurgePlan {
  readonly partitions: readonly PurgePartition[];
  /** Dead letters deleted. */
  readonly count: number;
  /** Dead letters of keys parked now among them (non-empty only with force). */
  readonly parkedLost: number;
}

/** A purge that would delete dead letters of keys still parked. */
export class PurgeRefusedError extends SluiceError {
  readonly code = 'DLQ_PURGE_REFUSED';
  readonly retriable = false;
}

/**
 * What a purge deletes: Kafka deletes a partition's records only below an offset, so each DLQ
 * partition is cut at `cuts` (its end, or the first record at/after `--before`). Refused when a
 * dead letter of a key parked now lies below a cut — the parked key could then never be replayed
 * in full — unless `force`.
 */
export function planPurge(input: {
  readonly letters: readonly DeadLetter[];
  readonly parked: readonly ParkedKey[];
  /** Per DLQ partition: its first offset still in the log, and where to cut. */
  readonly cuts: ReadonlyArray<{ readonly partition: number; readonly low: bigint; readonly cut: bigint }>;
  readonly force: boolean;
}): PurgePlan {
  const parkedIds = new Set(
    input.parked.map((p) => `${p.topic}\u0000${p.partition}\u0000${p.key.toString('hex')}`),
  );
  const cutOf = new Map(input.cuts.map((c) => [c.partition, c.cut]));
  const doomed = input.letters.filter((l) => l.offset < (cutOf.get(l.partition) ?? 0n));
  const parkedDoomed = doomed.filter(
    (l) =>
      l.source !== undefined &&
      l.key !== null &&
      parkedIds.has(`${l.source.topic}\u0000${l.source.partition}\u0000${l.key.toString('hex')}`),
  );
  if (parkedDoomed.length > 0 && !input.force) {
    const keys = new Set(
      parkedDoomed.map((l) => `${l.source!.topic}[${l.source!.partition}] ${l.key!.toString('hex')}`),
    );
    const first = parkedDoomed[0]!;
    throw new PurgeRefusedError(
      `purge would delete ${parkedDoomed.length} dead letter(s) of ${keys.size} key(s) still parked ` +
        `(e.g. ${first.source!.topic}[${first.source!.partition}] key '${first.key!.toString('utf8')}', DLQ ${first.partition}/${first.offset}); ` +
        `redrive them first, or pass --force to delete them anyway (those keys stay parked and their deleted records are lost)`,
    );
  }
  return {
    partitions: input.cuts
      .filter((c) => c.cut > c.low)
      .map((c) => ({ partition: c.partition, from: c.low, to: c.cut })),
    count: doomed.length,
    parkedLost: parkedDoomed.length,
  };
}
