import { type ChaosOptions, FAULT_KINDS, type FaultKind } from './chaos-options';
import { type SeededRandom } from './seeded-random';

/** One fault of the plan: what, when (from the workload's start) and for how long. */
export interface PlannedFault {
  readonly index: number;
  readonly kind: FaultKind;
  /** When it is due, ms after the workload started. A fault still under way delays the next. */
  readonly atMs: number;
  /**
   * How long the killed part stays down before it is started again (a broker, Postgres), or how
   * long the restart of a killed app waits (Kubernetes restarts a crashed container at once).
   */
  readonly outageMs: number;
}

const OUTAGE_MS: Record<FaultKind, [number, number]> = {
  'kill-source': [200, 2000],
  'kill-transformer': [200, 2000],
  'kill-sink': [200, 2000],
  'kill-broker': [2000, 8000],
  'restart-postgres': [1000, 5000],
  'drop-broker-connections': [0, 0],
  'drop-postgres-connections': [0, 0],
};

/**
 * The faults of a run: every kind at least once (or as often as `minimum` says), the rest drawn at
 * random, in random order, each at a random moment of its own slot of the fault window (so they
 * are spread over the run and never bunched), after a calm start and before a calm end.
 */
export function planFaults(
  options: Pick<ChaosOptions, 'faults' | 'minimum' | 'durationSeconds' | 'calmSeconds'>,
  random: SeededRandom,
): PlannedFault[] {
  const kinds: FaultKind[] = [];
  for (const kind of FAULT_KINDS) {
    for (let n = 0; n < (options.minimum[kind] ?? 1); n++) kinds.push(kind);
  }
  if (kinds.length > options.faults) {
    throw new Error(
      `${options.faults} faults cannot hold the minimum of each kind (${kinds.length}); ask for more faults`,
    );
  }
  while (kinds.length < options.faults) kinds.push(random.pick(FAULT_KINDS));
  const order = random.shuffle(kinds);
  const windowStart = options.calmSeconds * 1000;
  const windowMs = Math.max(1000, (options.durationSeconds - 2 * options.calmSeconds) * 1000);
  const slot = windowMs / order.length;
  return order.map((kind, index) => {
    const [min, max] = OUTAGE_MS[kind];
    return {
      index,
      kind,
      atMs: Math.round(windowStart + index * slot + random.between(0, 0.8) * slot),
      outageMs: Math.round(random.between(min, max)),
    };
  });
}
