/**
 * What a chaos run does, and its defaults. One place for the liveness threshold the stall check
 * holds every app to.
 */

/**
 * The longest an app may have work waiting without making progress. The apps are getting a
 * progress watchdog with a configurable threshold (issue #25); until that setting exists, this is
 * its default, and the one constant the suite changes when it does.
 */
export const LIVENESS_THRESHOLD_MS = 60_000;

/** The faults the suite injects. */
export const FAULT_KINDS = [
  'kill-source',
  'kill-transformer',
  'kill-sink',
  'kill-broker',
  'restart-postgres',
  'drop-broker-connections',
  'drop-postgres-connections',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  /** Seeds the fault plan (kinds, order, moments, outages); printed so a run can be repeated. */
  readonly seed: number;
  /** Faults injected in all (at least the sum of `minimum`). */
  readonly faults: number;
  /** Faults of a kind injected at least, e.g. `{ 'kill-broker': 5 }`; every kind once by default. */
  readonly minimum: Partial<Record<FaultKind, number>>;
  /** Seconds the faults are spread over (the workload runs this long, longer if faults overrun). */
  readonly durationSeconds: number;
  /** Seconds of workload before the first fault and after the last. */
  readonly calmSeconds: number;
  /** Workload transactions per second. */
  readonly rate: number;
  /** Customers seeded before the source snapshots (three orders each, two items per order). */
  readonly customers: number;
  /** The longest tolerated stall (work waiting, no progress), ms. */
  readonly stallThresholdMs: number;
  /** How long the pipeline may take to catch up once the workload stopped, ms. */
  readonly drainTimeoutMs: number;
  /** Progress lines for a person. */
  readonly log: (line: string) => void;
  /** Ends the run early (Ctrl-C, a test's after hook): it stops what it started and rejects. */
  readonly signal?: AbortSignal;
}

export const DEFAULT_CHAOS_OPTIONS: Omit<ChaosOptions, 'seed' | 'log'> = {
  faults: 24,
  minimum: { 'kill-broker': 5 },
  durationSeconds: 330,
  calmSeconds: 15,
  rate: 60,
  customers: 200,
  stallThresholdMs: LIVENESS_THRESHOLD_MS,
  drainTimeoutMs: 180_000,
};
