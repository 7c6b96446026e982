/** Where a replay stands, after each committed chunk (and once at the start). */
export interface ReplayProgress {
  readonly replayId: string;
  /** Offsets in the range, all partitions (an upper bound of records: markers take offsets too). */
  readonly total: bigint;
  /** Offsets of the range covered by committed chunks, all runs. */
  readonly done: bigint;
  /** Records published / skipped in this run. */
  readonly published: number;
  readonly skipped: number;
  /** Offsets covered per second in this run, and the time left at that pace (undefined: unknown). */
  readonly offsetsPerSecond: number;
  readonly etaSeconds: number | undefined;
}

/** Computes progress figures from the committed positions, the run's start and the clock. */
export class ProgressMeter {
  private readonly startedAt = performance.now();

  constructor(
    private readonly replayId: string,
    readonly total: bigint,
    private readonly doneAtStart: bigint,
  ) {}

  measure(done: bigint, published: number, skipped: number): ReplayProgress {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const covered = Number(done - this.doneAtStart);
    const offsetsPerSecond = seconds > 0 ? covered / seconds : 0;
    const left = Number(this.total - done);
    return {
      replayId: this.replayId,
      total: this.total,
      done,
      published,
      skipped,
      offsetsPerSecond,
      etaSeconds: left <= 0 ? 0 : offsetsPerSecond > 0 ? left / offsetsPerSecond : undefined,
    };
  }
}
