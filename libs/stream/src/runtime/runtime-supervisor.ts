import { type StoreRestoreProgress } from '../state/key-value-store';
import { type StandbyPosition } from '../state/standby-states';
import { DeadlineExceededError, nextDelay, SluiceError, withDeadline } from '@sluice/errors';
import { isPermanentKafkaFailure } from '@sluice/kafka';
import { type LivenessView, ProgressWatchdog, type ProgressSample } from '@sluice/observability';
import { type OutputRecord } from '../processor/stream-record';
import { type TopicPartition } from '../delivery/partition-delivery';
import { type GroupMembership, type PartitionProgress, type StreamRuntime } from './stream-runtime';
import { supervisorMetrics } from './stream-metrics';

/** Where a supervised runtime is in its life. `retrying`: it failed or could not start, and waits to try again. */
export type SupervisedPhase = 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped' | 'failed';

/** How a supervisor recovers on its own; without it a failure is final until an operator restarts. */
export interface SupervisorRecovery {
  /** The consumer group, for logs and metrics. */
  readonly group: string;
  /**
   * Runs before every runtime is created, until it succeeds: connects, checks that the input topics
   * exist, prepares the target. A retriable failure here is waited out like a runtime's.
   */
  readonly prepare?: () => Promise<void>;
  /** First wait after a retriable failure; the waits double up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Work waiting this long with nothing committed is a stall: the runtime is replaced. */
  readonly stallAfterMs: number;
  /** How long a runtime being replaced may take to stop before it is abandoned. */
  readonly stopTimeoutMs: number;
  /**
   * Names what the records wait on outside this process (an HTTP destination whose circuit is
   * open), or undefined: waiting on it is not a stall, and replacing the runtime would not help.
   */
  readonly blockedBy?: () => string | undefined;
  /** Told of each retry (logs). */
  readonly onRetry?: (error: unknown, delayMs: number) => void;
  /** Told when the runtime stalled and is replaced (logs). */
  readonly onStall?: (view: LivenessView) => void;
}

/**
 * Whether a runtime's failure may pass by itself: anything but a Sluice error that says it will not
 * (configuration, environment) and Kafka's refusals of credentials or permissions. A runtime resumes
 * from its last commit, so trying again is always safe; the question is only whether it can help.
 */
export function isRecoverableRuntimeFailure(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retriable;
  return !isPermanentKafkaFailure(error);
}

/**
 * Keeps one StreamRuntime of an app running across operator actions and failures: `restart()`
 * stops the current runtime (drain and commit) and starts a new one from `create`, `pause()`
 * outlives restarts, and `done` spans every runtime it ran (it rejects when one failed for good,
 * resolves after `stop()`), so a process watching it does not lose sight of a failure after a restart.
 *
 * With `recovery`, a runtime that fails or cannot start (the broker down, an input topic not there
 * yet) is replaced after a backoff, phase `retrying` with the reason; and a watchdog replaces a
 * runtime whose records wait with nothing committed for `stallAfterMs` (a client stuck for good).
 */
export class RuntimeSupervisor<O = OutputRecord> {
  private runtime: StreamRuntime<O> | undefined;
  private phaseNow: SupervisedPhase = 'starting';
  private failure: unknown;
  private pausedNow = false;
  /** The start or restart under way: one at a time. */
  private underWay: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private retryAtNow: Date | undefined;
  private wakeRetry: (() => void) | undefined;
  private failures = 0;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private readonly watchdog: ProgressWatchdog | undefined;
  private readonly metrics: ReturnType<typeof supervisorMetrics> | undefined;
  private unwatchStalled: (() => void) | undefined;
  /** Settles when supervision ended: resolves after `stop()`, rejects when a runtime failed for good. */
  readonly done: Promise<void>;

  /**
   * @param create builds a new, unstarted runtime (called by `start`, each `restart` and each retry)
   * @param onFailure told once per failed runtime (logs)
   * @param recovery retries and stall detection; without it a failure is final
   */
  constructor(
    private readonly create: () => StreamRuntime<O>,
    private readonly onFailure: (error: unknown) => void = () => undefined,
    private readonly recovery?: SupervisorRecovery,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
    if (recovery !== undefined) {
      this.metrics = supervisorMetrics(recovery.group);
      this.watchdog = new ProgressWatchdog(() => this.progress(), { stallAfterMs: recovery.stallAfterMs });
      this.watchdog.onStall((view) => this.onStall(view));
      const watchdog = this.watchdog;
      this.unwatchStalled = this.metrics.watchStalled(() => watchdog.observe().state === 'stalled');
    }
  }

  get phase(): SupervisedPhase {
    return this.phaseNow;
  }

  /** Why the current runtime failed, while phase is `failed` or `retrying`. */
  get lastError(): unknown {
    return this.failure;
  }

  /** When the next attempt starts, while `retrying`. */
  get retryAt(): Date | undefined {
    return this.phaseNow === 'retrying' ? this.retryAtNow : undefined;
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** The runtime being supervised (undefined before `start`). */
  get current(): StreamRuntime<O> | undefined {
    return this.runtime;
  }

  /** Progress-based liveness (with `recovery`), for `/health/live` and `/status`. */
  get liveness(): ProgressWatchdog | undefined {
    return this.watchdog;
  }

  /**
   * Starts the first runtime. With `recovery` it resolves once one runs, retrying what may pass
   * (phase `retrying` meanwhile), and rejects only on a failure no retry can fix or on `stop()`.
   * The first start is a transition like a restart: a stall or a failure seen meanwhile does not
   * begin a second start loop beside it (two runtimes, one of them never stopped).
   */
  start(): Promise<void> {
    this.watchdog?.start();
    if (this.recovery === undefined) return this.startRuntime();
    return this.transition(() => this.startUntilRunning());
  }

  /** Runs one transition at a time: while one is under way, asking for another joins it. */
  private transition(run: () => Promise<void>): Promise<void> {
    this.underWay ??= (async () => {
      try {
        await run();
      } finally {
        this.underWay = undefined;
      }
    })();
    return this.underWay;
  }

  private async startUntilRunning(): Promise<void> {
    for (;;) {
      try {
        await this.recovery!.prepare?.();
        if (this.stopped !== undefined) return;
        await this.startRuntime();
        return;
      } catch (error) {
        if (this.stopped !== undefined) return;
        if (!isRecoverableRuntimeFailure(error)) this.failed(error);
        await this.abandonCurrent();
        await this.waitToRetry(error);
      }
    }
  }

  private async startRuntime(): Promise<void> {
    const runtime = this.create();
    this.runtime = runtime;
    this.phaseNow = 'starting';
    runtime.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.runtime !== runtime || this.stopped !== undefined) return;
        this.onFailure(error);
        if (this.recovery !== undefined && isRecoverableRuntimeFailure(error)) {
          this.failure = error;
          this.metrics?.restarts.inc({ reason: 'failure' });
          // A transition under way (this runtime's own start) would swallow the restart: it goes after.
          // A retry that fails for good rejects `done`: nothing more to tell here.
          const recover = () => {
            if (this.runtime === runtime) void this.restart({ after: error }).catch(() => undefined);
          };
          if (this.underWay === undefined) recover();
          else void this.underWay.then(recover, recover);
          return;
        }
        this.phaseNow = 'failed';
        this.failure = error;
        this.rejectDone(error);
      },
    );
    if (this.pausedNow) runtime.pause();
    await runtime.start();
    if (this.runtime === runtime && this.phaseNow === 'starting') {
      this.phaseNow = 'running';
      this.failure = undefined;
      this.failures = 0;
    }
  }

  /** A new runtime that could not start is a failure like any other: `done` rejects. */
  private failed(error: unknown): never {
    this.phaseNow = 'failed';
    this.failure = error;
    this.onFailure(error);
    this.rejectDone(error);
    throw error;
  }

  /**
   * Stops the current runtime (in-flight records finish and commit) and starts a new one; with
   * `recovery`, after a failure (`after`), it first waits its backoff and retries until one runs.
   * Asked while a start or restart is under way, it joins that one (a wait to retry ends at once).
   */
  restart(options: { after?: unknown } = {}): Promise<void> {
    if (this.stopped !== undefined) return Promise.resolve();
    // Asked while a start waits to retry (an operator's restart): the next attempt is now.
    if (this.underWay !== undefined && options.after === undefined) this.wakeRetry?.();
    return this.transition(async () => {
      this.phaseNow = 'starting';
      await this.abandonCurrent();
      if (options.after !== undefined) await this.waitToRetry(options.after);
      if (this.stopped !== undefined) return;
      if (this.recovery !== undefined) await this.startUntilRunning();
      else await this.startRuntime().catch((error: unknown) => this.failed(error));
    });
  }

  /** Stops fetching on every partition, now and after restarts and rebalances; the group membership stays. */
  pause(): void {
    this.pausedNow = true;
    this.runtime?.pause();
  }

  resume(): void {
    this.pausedNow = false;
    this.runtime?.resume();
  }

  /** Stops the current runtime for good (drain and commit). */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.watchdog?.stop();
      this.unwatchStalled?.();
      this.wakeRetry?.();
      if (this.phaseNow !== 'failed') this.phaseNow = 'stopping';
      // A runtime still starting is stopped now (its start gives up at its next step), not after
      // the start's connects have run their course.
      const current = this.runtime;
      await Promise.all([this.underWay?.catch(() => undefined), current?.stop().catch(() => undefined)]);
      if (this.runtime !== current) await this.runtime?.stop().catch(() => undefined);
      if (this.phaseNow !== 'failed') this.phaseNow = 'stopped';
      this.resolveDone();
    })();
    return this.stopped;
  }

  assignedPartitions(): TopicPartition[] {
    return this.runtime?.assignedPartitions() ?? [];
  }

  membership(): GroupMembership {
    return this.runtime?.membership() ?? (this.stopped ? 'stopped' : 'joining');
  }

  /** Where the restore of each state store of each partition assigned here stands. */
  stateRestoreProgress(): StoreRestoreProgress[] {
    return this.runtime?.stateRestoreProgress() ?? [];
  }

  /** With standby replicas: the warm copies kept here (undefined without). */
  standbyPositions(): StandbyPosition[] | undefined {
    return this.runtime?.standbyPositions();
  }

  partitionProgress(): PartitionProgress[] {
    return this.runtime?.partitionProgress() ?? [];
  }

  /** Stops the current runtime within the deadline; a runtime stuck in its stop is left behind. */
  private async abandonCurrent(): Promise<void> {
    const old = this.runtime;
    this.runtime = undefined;
    if (old === undefined) return;
    const timeoutMs = this.recovery?.stopTimeoutMs;
    const stopping = old.stop();
    await (
      timeoutMs === undefined ? stopping : withDeadline(stopping, timeoutMs, 'stopping the runtime')
    ).catch((error: unknown) => {
      if (error instanceof DeadlineExceededError) this.onFailure(error);
    });
  }

  private async waitToRetry(error: unknown): Promise<void> {
    const recovery = this.recovery!;
    const delay = nextDelay(
      {
        initialDelayMs: recovery.initialDelayMs,
        maxDelayMs: recovery.maxDelayMs,
        multiplier: 2,
        jitter: 'equal',
      },
      ++this.failures,
    );
    this.phaseNow = 'retrying';
    this.failure = error;
    this.retryAtNow = new Date(Date.now() + delay);
    recovery.onRetry?.(error, delay);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wakeRetry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeRetry = undefined;
  }

  /**
   * Records wait while the runtime starts or joins its group, and while a partition has lag; what
   * moves is the committed offsets. Paused, retrying (the reason is in the status) or stopped: idle.
   */
  private progress(): ProgressSample {
    const partitions = this.partitionProgress();
    const lag = partitions.reduce((sum, p) => sum + (p.lag ?? 0n), 0n);
    const membership = this.membership();
    const starting = this.phaseNow === 'starting' || (this.phaseNow === 'running' && membership !== 'member');
    const blocked = this.recovery?.blockedBy?.();
    if (blocked !== undefined) return { waiting: false, progress: 'blocked', waitingOn: blocked };
    const waiting = !this.pausedNow && (starting || (this.phaseNow === 'running' && lag > 0n));
    return {
      waiting,
      progress: `${this.phaseNow}|${membership}|${partitions.map((p) => `${p.topic}/${p.partition}@${p.committedOffset ?? ''}`).join(',')}`,
      waitingOn: starting
        ? `the consumer group ${this.recovery?.group} to start (membership ${membership})`
        : `${lag} records behind the committed offsets to be processed and committed`,
    };
  }

  private onStall(view: LivenessView): void {
    if (this.stopped !== undefined || this.underWay !== undefined || this.phaseNow === 'retrying') return;
    this.recovery?.onStall?.(view);
    this.metrics?.restarts.inc({ reason: 'stalled' });
    void this.restart().catch(() => undefined);
  }
}

/** What the apps log their supervisor's retries and stalls with (pino's logger fits). */
export interface SupervisorLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * The recovery every consuming app uses: retries from 1 s doubling to 10 s, a runtime stuck in
 * its stop abandoned 5 s past its own shutdown budget, retries and stalls logged under `app`'s name.
 */
export function appRecovery(options: {
  readonly app: string;
  readonly group: string;
  readonly prepare?: () => Promise<void>;
  readonly blockedBy?: () => string | undefined;
  readonly stallAfterMs: number;
  readonly shutdownTimeoutMs: number;
  readonly log: SupervisorLog;
}): SupervisorRecovery {
  const { app, log } = options;
  return {
    group: options.group,
    ...(options.prepare ? { prepare: options.prepare } : {}),
    ...(options.blockedBy ? { blockedBy: options.blockedBy } : {}),
    initialDelayMs: 1_000,
    maxDelayMs: 10_000,
    stallAfterMs: options.stallAfterMs,
    stopTimeoutMs: options.shutdownTimeoutMs + 5_000,
    onRetry: (error, delayMs) =>
      log.warn({ err: error, retryInMs: delayMs }, `${app} waiting to retry: ${messageOf(error)}`),
    onStall: (view) =>
      log.error({ liveness: view }, `${app} stalled: waiting on ${view.waitingOn}; replacing the runtime`),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
