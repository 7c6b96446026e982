/** One reading of an app's progress marker: a value that only grows while the app does its work. */
export interface ProgressReading {
  /** Committed offsets summed over the inputs (consumers), the confirmed LSN (the source). */
  readonly marker: bigint;
  /** The process that answered, and a counter of its own (reset when it restarts). */
  readonly pid?: number;
  readonly count?: number;
  /** When that process started (a counter of a new process moved after this). */
  readonly startedAt?: number;
}

/** What the app was seen doing at one sample, for the stall report. */
export interface SampleContext {
  /** HTTP status of GET /health/live, 0 when nothing answered. */
  readonly live: number;
  readonly phase: string | undefined;
  readonly pid: number | undefined;
  /** A short JSON of its /status. */
  readonly status: string | undefined;
}

/** A period during which an app had work waiting and made no progress. */
export interface Stall {
  readonly app: string;
  readonly from: number;
  readonly to: number;
  readonly durationMs: number;
  /** Still stalled when the run ended. */
  readonly ongoing: boolean;
  /** What it waited on, as last seen. */
  readonly waitingOn: string;
  /** /health/live answers during the stall, e.g. `200 x41, none x3`. */
  readonly liveAnswers: string;
  readonly phases: string;
  readonly pids: string;
  /** Its /status when last seen stalled. */
  readonly lastStatus: string | undefined;
}

/** Shorter stalls (a second between two samples is normal) are not listed, only the longest. */
const MIN_RECORDED_MS = 5000;

/** Progress of one app at one sample. */
export interface ProgressStep {
  readonly progressed: boolean;
  /** When the reading before this one was taken: the progress happened after it. */
  readonly since: number | undefined;
}

/**
 * Follows one app's progress marker sample by sample: whether it moved, and the stalls (work
 * waiting, marker still) with what the app said meanwhile.
 */
export class ProgressTrack {
  private last: (ProgressReading & { at: number }) | undefined;
  private lastProgressAt: number;
  private lastIdleAt: number | undefined;
  private stallStart: number | undefined;
  private current:
    | {
        waitingOn: string;
        live: Map<string, number>;
        phases: Set<string>;
        pids: Set<string>;
        lastStatus: string | undefined;
        to: number;
      }
    | undefined;
  /** Stalls of MIN_RECORDED_MS or more that ended (and, after `finish`, the one still going). */
  readonly stalls: Stall[] = [];
  private longestStall: Stall | undefined;

  constructor(
    readonly app: string,
    startedAt: number,
  ) {
    this.lastProgressAt = startedAt;
  }

  /**
   * One sample: the marker's reading (undefined when it could not be read), what work waits
   * (undefined when none), what the app answered.
   */
  observe(
    at: number,
    reading: ProgressReading | undefined,
    waiting: string | undefined,
    context: SampleContext,
  ): ProgressStep {
    let step: ProgressStep = { progressed: false, since: undefined };
    if (reading !== undefined) {
      const before = this.last;
      if (before !== undefined) {
        const samePid = reading.pid !== undefined && reading.pid === before.pid;
        if (reading.marker > before.marker) step = { progressed: true, since: before.at };
        else if (samePid && (reading.count ?? 0) > (before.count ?? 0))
          step = { progressed: true, since: before.at };
        else if (!samePid && reading.pid !== undefined && (reading.count ?? 0) > 0)
          step = { progressed: true, since: Math.max(before.at, reading.startedAt ?? before.at) };
      }
      this.last = { ...reading, at };
    }
    if (step.progressed) {
      this.lastProgressAt = at;
      this.endStall(at);
    } else if (waiting === undefined) {
      this.lastIdleAt = at;
      this.endStall(at);
    } else {
      this.stallStart ??= Math.max(this.lastProgressAt, this.lastIdleAt ?? 0);
      this.current ??= {
        waitingOn: waiting,
        live: new Map(),
        phases: new Set(),
        pids: new Set(),
        lastStatus: undefined,
        to: at,
      };
      const c = this.current;
      c.waitingOn = waiting;
      c.to = at;
      const live = context.live === 0 ? 'none' : String(context.live);
      c.live.set(live, (c.live.get(live) ?? 0) + 1);
      if (context.phase) c.phases.add(context.phase);
      c.pids.add(context.pid === undefined ? 'down' : String(context.pid));
      if (context.status) c.lastStatus = context.status;
    }
    return step;
  }

  /** The stall going on now, ms (0 when none). */
  stalledFor(now: number): number {
    return this.stallStart === undefined ? 0 : now - this.stallStart;
  }

  /** Ends the run: a stall still going is recorded as ongoing. */
  finish(): void {
    if (this.current) this.endStall(this.current.to, true);
  }

  longest(): Stall | undefined {
    return this.longestStall;
  }

  private endStall(at: number, ongoing = false): void {
    if (this.stallStart !== undefined && this.current !== undefined) {
      const c = this.current;
      const stall: Stall = {
        app: this.app,
        from: this.stallStart,
        to: at,
        durationMs: at - this.stallStart,
        ongoing,
        waitingOn: c.waitingOn,
        liveAnswers: [...c.live].map(([code, n]) => `${code} x${n}`).join(', '),
        phases: [...c.phases].join(', ') || 'none seen',
        pids: [...c.pids].join(', '),
        lastStatus: c.lastStatus,
      };
      if (stall.durationMs >= MIN_RECORDED_MS) this.stalls.push(stall);
      if (this.longestStall === undefined || stall.durationMs > this.longestStall.durationMs)
        this.longestStall = stall;
    }
    this.stallStart = undefined;
    this.current = undefined;
  }
}
