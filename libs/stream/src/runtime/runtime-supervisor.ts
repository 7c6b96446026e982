import { type OutputRecord } from '../processor/stream-record';
import { type TopicPartition } from '../delivery/partition-delivery';
import { type GroupMembership, type PartitionProgress, type StreamRuntime } from './stream-runtime';

/** Where a supervised runtime is in its life. */
export type SupervisedPhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/**
 * Keeps one StreamRuntime of an app running across operator actions: `restart()` stops the
 * current runtime (drain and commit) and starts a new one from `create`, `pause()` outlives
 * restarts, and `done` spans every runtime it ran (it rejects when one failed, resolves after
 * `stop()`), so a process watching it does not lose sight of a failure after a restart.
 */
export class RuntimeSupervisor<O = OutputRecord> {
  private runtime: StreamRuntime<O> | undefined;
  private phaseNow: SupervisedPhase = 'starting';
  private failure: unknown;
  private pausedNow = false;
  private restarting: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  /** Settles when supervision ended: resolves after `stop()`, rejects when a runtime failed. */
  readonly done: Promise<void>;

  /**
   * @param create builds a new, unstarted runtime (called by `start` and each `restart`)
   * @param onFailure told once per failed runtime (logs)
   */
  constructor(
    private readonly create: () => StreamRuntime<O>,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get phase(): SupervisedPhase {
    return this.phaseNow;
  }

  /** Why the current runtime failed, while phase is `failed`. */
  get lastError(): unknown {
    return this.failure;
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  /** The runtime being supervised (undefined before `start`). */
  get current(): StreamRuntime<O> | undefined {
    return this.runtime;
  }

  async start(): Promise<void> {
    const runtime = this.create();
    this.runtime = runtime;
    this.phaseNow = 'starting';
    this.failure = undefined;
    runtime.done.then(
      () => undefined,
      (error: unknown) => {
        if (this.runtime !== runtime) return;
        this.phaseNow = 'failed';
        this.failure = error;
        this.onFailure(error);
        this.rejectDone(error);
      },
    );
    if (this.pausedNow) runtime.pause();
    await runtime.start();
    if (this.runtime === runtime && this.phaseNow === 'starting') this.phaseNow = 'running';
  }

  /** A new runtime that could not start is a failure like any other: `done` rejects. */
  private failed(error: unknown): never {
    this.phaseNow = 'failed';
    this.failure = error;
    this.onFailure(error);
    this.rejectDone(error);
    throw error;
  }

  /** Stops the current runtime (in-flight records finish and commit) and starts a new one. */
  restart(): Promise<void> {
    if (this.stopped !== undefined) return Promise.resolve();
    this.restarting ??= (async () => {
      try {
        const old = this.runtime;
        this.phaseNow = 'starting';
        this.runtime = undefined;
        await old?.stop().catch(() => undefined);
        if (this.stopped === undefined) await this.start().catch((error: unknown) => this.failed(error));
      } finally {
        this.restarting = undefined;
      }
    })();
    return this.restarting;
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
      if (this.phaseNow !== 'failed') this.phaseNow = 'stopping';
      await this.restarting?.catch(() => undefined);
      await this.runtime?.stop().catch(() => undefined);
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

  partitionProgress(): PartitionProgress[] {
    return this.runtime?.partitionProgress() ?? [];
  }
}
