import { isRetriable, nextDelay, RetriableError, SluiceError } from '@sluice/errors';
import { isPermanentKafkaFailure, kafkaFailureHint } from '@sluice/kafka';
import { type LivenessView, type ProgressSample, ProgressWatchdog } from '@sluice/observability';
import type { Lsn } from '../lsn/lsn';
import type { SourceLog } from './source-dependencies';
import { FailedTransactionError, FailedTransactionReached } from './streaming-phase';
import type { SourcePhase, SourceStatus } from './source-status';

/** Thrown into a run when the source stops or pauses; not a failure. */
class Stopped extends Error {}

/** What a run is handed by the coordinator: the pause, and where to say how far it got. */
export interface RunControl {
  /**
   * Undefined while the source runs (checked per message: no await on the hot path); else a promise
   * that resolves on resume and rejects when the source stops.
   */
  whilePaused(): Promise<void> | undefined;
  /** The run began reading its initial snapshot, or streaming. */
  enter(phase: 'snapshotting' | 'streaming'): void;
  /** Set after a transaction failed a record: the run delivers what precedes it and stops there. */
  readonly stopBefore?: Lsn;
}

/** One connected life, as the coordinator drives it (`SourceRun`). */
export interface CoordinatedRun {
  /**
   * Resolves true when the source is finished for good (initial_only), false when it should run
   * again; rejects when it failed or was interrupted. Settles only once what the run held is released.
   */
  run(): Promise<boolean>;
  /** Abandons the run with `error` (a stall); false when it is already ending. */
  interrupt(error: Error): boolean;
  /** Lets Kafka acknowledge what is in flight and ends the stream: the source stops. */
  stop(): Promise<void>;
}

export interface SourceCoordinatorOptions<R extends CoordinatedRun> {
  readonly restart: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  readonly stallAfterMs: number;
  /** What the stall watchdog samples: whether work waits, and a token that changes with progress. */
  readonly progress: () => ProgressSample;
  readonly newRun: (control: RunControl) => R;
  readonly log: SourceLog;
  readonly restarts: { inc(labels: { reason: string }): void };
}

/**
 * The source's life across runs (Debezium's coordinator, with Kafka Connect's task restarts folded
 * in): starts a run, and when a dependency fails waits (doubling, capped) and starts another, which
 * resumes from the slot's confirmed position and so redelivers exactly the events Kafka had not
 * acknowledged. A run that moves nothing for `liveness.stallAfterMs` is interrupted the same way. A
 * problem no retry can fix (permissions, wal_level, a table without a key) ends in phase `failed`.
 * It also holds the operator's pause, which the runs' phases wait on between messages.
 */
export class SourceCoordinator<R extends CoordinatedRun> {
  private currentPhase: SourcePhase = 'starting';
  private stopping = false;
  private paused = false;
  private resumeWaiters: Array<() => void> = [];
  private running: Promise<void> | undefined;
  private failure: SourceStatus['lastError'];
  private nextAttemptAt: Date | undefined;
  private wakeRetry: (() => void) | undefined;
  /** A transaction that failed a record, and that failure (reported once the run before it ends). */
  private failedTransaction: FailedTransactionError | undefined;
  private current: R | undefined;
  private readonly watchdog: ProgressWatchdog;

  constructor(private readonly options: SourceCoordinatorOptions<R>) {
    this.watchdog = new ProgressWatchdog(options.progress, { stallAfterMs: options.stallAfterMs });
    this.watchdog.onStall((view) => this.onStall(view));
  }

  get phase(): SourcePhase {
    return this.currentPhase;
  }

  /** The run under way, if any. */
  get run(): R | undefined {
    return this.current;
  }

  /** True between `pause()` and `resume()` (also while a pause waits for streaming to begin). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** The failure that ended the last run, until a run streams again. */
  get lastError(): SourceStatus['lastError'] {
    return this.failure;
  }

  /** When the next run starts, while waiting to retry. */
  get retryAt(): Date | undefined {
    return this.nextAttemptAt;
  }

  /** Progress-based liveness, for `/health/live` and `/status`. */
  get liveness(): ProgressWatchdog {
    return this.watchdog;
  }

  /** Starts the runs in the background. */
  start(): void {
    this.watchdog.start();
    this.running ??= this.lifecycle().finally(() => this.watchdog.stop());
  }

  /** Resolves when the source stopped for good (stop, initial_only done, or failed). */
  async done(): Promise<void> {
    await this.running;
  }

  /** Stops the run under way as `CoordinatedRun.stop` says, and starts no other. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    this.release();
    await this.current?.stop();
    await this.running;
  }

  /** Stops as `stop()` does and starts again in this process. A pause outlives it. */
  async restart(): Promise<void> {
    await this.stop();
    this.stopping = false;
    this.running = undefined;
    this.failure = undefined;
    this.failedTransaction = undefined;
    this.currentPhase = 'starting';
    this.start();
  }

  pause(): void {
    if (this.currentPhase === 'stopped' || this.currentPhase === 'failed') return;
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  /**
   * A run that moved nothing for `liveness.stallAfterMs` is abandoned and started again from the
   * slot's confirmed position (the lifecycle's retry), so a client stuck for good cannot stop the
   * source. The liveness probe fails meanwhile; the restart usually ends the stall first.
   */
  private onStall(view: LivenessView): void {
    const message = `no progress for ${Math.round((view.waitingForMs ?? 0) / 1000)} s waiting on ${view.waitingOn}`;
    const error = new RetriableError(`source stalled: ${message}`, { code: 'SOURCE_STALLED' });
    if (!this.current?.interrupt(error)) return;
    this.options.log.error(
      { liveness: view },
      `source stalled: ${message}; restarting from the confirmed position`,
    );
    this.options.restarts.inc({ reason: 'stalled' });
  }

  private async lifecycle(): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.options.restart;
    const { log } = this.options;
    let failures = 0;
    while (!this.stopping) {
      const startedAt = Date.now();
      try {
        const finished = await this.runOnce();
        if (finished || this.stopping) break;
      } catch (error) {
        if (this.stopping || error instanceof Stopped) break;
        if (error instanceof FailedTransactionError && this.failedTransaction === undefined) {
          // Transactions committed before it may have shared its Kafka transaction, aborted with
          // it: one more run delivers them and stops at it, so a failure keeps nothing back.
          this.failedTransaction = error;
          log.warn(
            { err: error, transaction: error.finalLsn.toString() },
            `a change could not be written: ${error.message}; delivering the transactions before it, then stopping`,
          );
          continue;
        }
        // The run before the failed transaction ended there: the failure to report is the first one.
        const failure: unknown =
          error instanceof FailedTransactionReached && this.failedTransaction !== undefined
            ? this.failedTransaction.failure
            : error;
        // Kafka refusing the credentials or the client refusing the broker's certificate: the same
        // on every attempt, so one clear failure instead of a retry loop.
        const retriable =
          failure instanceof SluiceError ? isRetriable(failure) : !isPermanentKafkaFailure(failure);
        const message = failure instanceof Error ? failure.message : String(failure);
        this.failure = { message, at: new Date().toISOString(), retriable };
        if (!retriable) {
          this.currentPhase = 'failed';
          const hint = kafkaFailureHint(failure);
          log.error({ err: failure }, `source failed: ${message}${hint === undefined ? '' : `; ${hint}`}`);
          return;
        }
        // A run that lasted a while resets the backoff: the failure is new, not a loop.
        if (Date.now() - startedAt > maxDelayMs) failures = 0;
        if (!(failure instanceof RetriableError && failure.code === 'SOURCE_STALLED'))
          this.options.restarts.inc({ reason: 'failure' });
        const delay = nextDelay({ initialDelayMs, maxDelayMs, multiplier: 2, jitter: 'none' }, ++failures);
        this.currentPhase = 'retrying';
        this.nextAttemptAt = new Date(Date.now() + delay);
        log.warn({ err: failure, retryInMs: delay }, `source interrupted, retrying: ${message}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    this.currentPhase = this.currentPhase === 'failed' ? 'failed' : 'stopped';
  }

  private async runOnce(): Promise<boolean> {
    this.currentPhase = 'starting';
    this.current = this.options.newRun({
      whilePaused: () => this.whilePaused(),
      ...(this.failedTransaction && { stopBefore: this.failedTransaction.finalLsn }),
      enter: (phase) => {
        this.currentPhase = phase;
        // Streaming again: the failure that led here is over.
        if (phase === 'streaming') this.failure = undefined;
      },
    });
    try {
      return await this.current.run();
    } finally {
      this.current = undefined;
    }
  }

  private whilePaused(): Promise<void> | undefined {
    if (this.stopping) return Promise.reject(new Stopped());
    if (!this.paused) return undefined;
    return new Promise<void>((resolve) => this.resumeWaiters.push(resolve)).then(() => {
      if (this.stopping) throw new Stopped();
    });
  }

  private release(): void {
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }
}
