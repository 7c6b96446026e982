import { z } from 'zod';
import { type HealthProbe } from './health-probe';

/** What a component tells its watchdog at each look. */
export interface ProgressSample {
  /** Work is waiting: events read and not acknowledged, records behind the committed offsets. */
  readonly waiting: boolean;
  /**
   * Anything that changes when work gets done (acknowledged events, committed offsets): compared
   * with the previous look, never interpreted.
   */
  readonly progress: string;
  /** What the waiting work waits on, for people: `Kafka to acknowledge 577 events`. */
  readonly waitingOn: string;
}

export type LivenessState = 'progressing' | 'idle' | 'stalled';

/** What `/status` shows under `liveness`. */
export interface LivenessView {
  /** `idle`: nothing waits; `progressing`: work waits and moves; `stalled`: work waited too long. */
  readonly state: LivenessState;
  /** When progress was last seen (or the wait began). */
  readonly lastProgressAt: string;
  /** While work waits: what on, and for how long without progress. */
  readonly waitingOn?: string;
  readonly waitingForMs?: number;
  readonly stallAfterMs: number;
}

export const livenessConfigSchema = z
  .strictObject({
    stallAfterMs: z
      .number()
      .int()
      .min(1_000)
      .default(60_000)
      .describe(
        'Work waiting (events unacknowledged, records behind) with no progress for this long, while ' +
          'the dependencies answer, is a stall: /health/live fails (Kubernetes restarts the pod), ' +
          '/status says `stalled`, `sluice_*_stalled` is 1. Default 60000.',
      ),
  })
  .prefault({});

export type LivenessConfig = z.output<typeof livenessConfigSchema>;

/**
 * Progress-based liveness: a process that answers HTTP but moves nothing is not alive. The
 * watchdog looks at its component every `everyMs` (and at every probe), remembers when the
 * progress last changed, and calls the component stalled once work has waited `stallAfterMs`
 * without any. Idle is never a stall.
 */
export class ProgressWatchdog {
  private lastProgress: string | undefined;
  private lastProgressAt: number;
  private stalledNow = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<(view: LivenessView) => void> = [];

  constructor(
    private readonly sample: () => ProgressSample,
    private readonly options: { readonly stallAfterMs: number; readonly now?: () => number },
  ) {
    this.lastProgressAt = this.now();
  }

  /** Looks now; returns what it sees. */
  observe(): LivenessView {
    const now = this.now();
    const { waiting, progress, waitingOn } = this.sample();
    if (!waiting || progress !== this.lastProgress) {
      this.lastProgress = progress;
      this.lastProgressAt = now;
    }
    const waitingForMs = now - this.lastProgressAt;
    const stalled = waiting && waitingForMs >= this.options.stallAfterMs;
    const view: LivenessView = {
      state: stalled ? 'stalled' : waiting ? 'progressing' : 'idle',
      lastProgressAt: new Date(this.lastProgressAt).toISOString(),
      ...(waiting ? { waitingOn, waitingForMs } : {}),
      stallAfterMs: this.options.stallAfterMs,
    };
    if (stalled && !this.stalledNow) for (const listener of this.listeners) listener(view);
    this.stalledNow = stalled;
    return view;
  }

  get stalled(): boolean {
    return this.stalledNow;
  }

  /** Called once each time the component becomes stalled. */
  onStall(listener: (view: LivenessView) => void): void {
    this.listeners.push(listener);
  }

  /** Looks every `everyMs` in the background (a timer that never keeps the process alive). */
  start(everyMs = 1_000): this {
    this.timer ??= setInterval(() => this.observe(), everyMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * The liveness probe over a watchdog: down when the component stalled while every dependency
 * answers. A stall behind an unreachable dependency stays live (a restart would not help; the
 * readiness probe reports the dependency).
 */
export function progressProbe(
  name: string,
  watchdog: ProgressWatchdog,
  dependencies: readonly HealthProbe[],
): HealthProbe {
  return {
    name,
    check: async () => {
      const view = watchdog.observe();
      if (view.state !== 'stalled') return { up: true, details: { state: view.state } };
      const answers = await Promise.all(dependencies.map(async (d) => [d.name, await d.check()] as const));
      const down = answers.filter(([, result]) => !result.up).map(([dependency]) => dependency);
      if (down.length > 0)
        return { up: true, details: { state: view.state, waitingOn: view.waitingOn, unreachable: down } };
      return {
        up: false,
        details: {
          state: view.state,
          waitingOn: view.waitingOn,
          waitingForMs: view.waitingForMs,
          lastProgressAt: view.lastProgressAt,
        },
      };
    },
  };
}
