import { ParkedKeys } from '../failure/key-parking';
import { OffsetTracker } from '../offsets/offset-tracker';
import { KeyScheduler } from '../ordering/key-scheduler';
import { type PartitionDelivery, type TopicPartition } from '../delivery/partition-delivery';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { type ChangelogReader } from '../state/changelog-reader';
import { type PartitionState } from '../state/partition-state';
import { type BatchParking, RecordAbandonedError, type RecordRunner } from './record-runner';

/** What the consumer loop lends a worker for one fetched batch. */
export interface BatchControl {
  /** Fires when the partition is being given up (rebalance, stop): finish or abandon, quickly. */
  readonly signal: AbortSignal;
  /** True once no more records should be taken in (stop): accepted ones still finish and commit. */
  intakeClosed(): boolean;
  /** Keeps the group membership alive during a long batch; rejects when the group rebalances. */
  heartbeat(): Promise<void>;
  /** Tells the consumer the batch was handled up to `offset` (inclusive): fetching resumes after it. */
  resolveOffset(offset: bigint): void;
  /**
   * One past the last offset the fetch returned, control records included. A transactional input's
   * commit markers follow its last record; a batch processed completely commits this position, as
   * the Java consumer's `position()` does, so a caught-up group reaches the partition's end (lag 0)
   * instead of stopping one marker short of it.
   */
  readonly fetchedThrough?: bigint;
}

/** Where a worker's parked keys are kept durably (`onKeyFailure: park`); see ParkedKeyLog. */
export interface ParkedKeyStore {
  /** The keys parked in `tp` by earlier owners; rejects when `signal` fires. */
  restore(
    tp: TopicPartition,
    signal: AbortSignal,
  ): Promise<ReadonlyArray<{ key: Buffer; failedOffset: bigint }>>;
  /** Makes the release of `key` durable. */
  release(tp: TopicPartition, key: Buffer): Promise<void>;
}

export interface PartitionWorkerOptions {
  readonly keysPerPartition: number;
  readonly maxBuffered: number;
  /** Time running records get to finish once the partition is given up. */
  readonly revokeTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /**
   * Whether a batch given up half-way may still commit up to its lowest unfinished offset. True for
   * at-least-once; false for exactly-once, where outputs of finished records above that offset
   * sit in the same transaction and would be repeated.
   */
  readonly partialCheckpoint: boolean;
  /** The records of a batch below `nextOffset` are durable (metrics: end-to-end latency). */
  readonly onCommitted?: (records: readonly StreamRecord[], nextOffset: bigint) => void;
}

/** How a batch ended. */
export type BatchOutcome =
  | { readonly kind: 'committed'; readonly nextOffset: bigint; readonly complete: boolean }
  | { readonly kind: 'abandoned' }
  /** The group is rebalancing (a heartbeat said so): hand `error` back to the consumer so it rejoins. */
  | { readonly kind: 'rejoin'; readonly error: unknown };

/**
 * Processes the fetched batches of one assigned partition, one batch at a time: the records go
 * through a KeyScheduler (one key in offset order, several keys at once up to `keysPerPartition`,
 * at most `maxBuffered` accepted — intake waits beyond that, so memory stays flat), an
 * OffsetTracker follows what is finished, and at the batch end the partition's delivery makes the
 * results durable and saves the next offset. A batch given up (rebalance, stop) gets
 * `revokeTimeoutMs` for its running records, then commits what it safely can, or nothing.
 *
 * Parked keys live here for as long as the partition stays assigned to this instance; with a
 * ParkedKeyStore they are restored at the start of the first batch — after `delivery.begin()`, whose
 * transactional producer fences a previous owner — before any record runs, and released durably.
 */
export class PartitionWorker<O = OutputRecord> {
  readonly parked = new ParkedKeys();
  private busy: Promise<unknown> = Promise.resolve();
  /** Next offset this worker committed; records below it are already done (a stale refetch). */
  private committed: bigint | undefined;
  private restored = false;
  /** The partition's high watermark as of the last fetched batch (for lag). */
  highWatermark: bigint | undefined;
  /**
   * Where this worker started: the position its strategy keeps (sought to on assignment), else the
   * first offset fetched. Its lag counts from here until its first commit.
   */
  startedFrom: bigint | undefined;

  constructor(
    readonly tp: TopicPartition,
    readonly delivery: PartitionDelivery<O>,
    private readonly runner: RecordRunner<O>,
    private readonly options: PartitionWorkerOptions,
    private readonly store?: ParkedKeyStore,
    /** The partition's state stores and the reader that restores them (a stateful processor). */
    readonly state?: { readonly stores: PartitionState; readonly reader: ChangelogReader },
  ) {}

  /**
   * Releases a parked key between batches (never while a batch could be parking it): the release
   * is written durably first, then the key's next records are processed again. Returns the failed
   * offset it was parked behind (empty when it was not parked).
   */
  unpark(key: Buffer | string): Promise<bigint[]> {
    const run = this.busy.then(async () => {
      if (!this.parked.isParked(key)) return [];
      const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
      await this.store?.release(this.tp, bytes);
      // The failed offset only (the contract of StreamRuntime.unpark), not the parked ones behind it.
      return this.parked.release(key).slice(0, 1);
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Next offset committed by this worker (undefined before its first commit). */
  get committedOffset(): bigint | undefined {
    return this.committed;
  }

  /** Processes one batch; batches of a partition never overlap. Rejects when the partition must stop. */
  processBatch(records: readonly StreamRecord[], control: BatchControl): Promise<BatchOutcome> {
    const run = this.afterBusy(control).then(() => this.runBatch(records, control));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * Restores the partition's state stores now — when the partition is assigned — instead of when its
   * first batch arrives, so an idle partition is ready too and its restore shows on /status. As the
   * restore at a batch's start: after `delivery.begin()`, whose producer initialisation fences a
   * previous owner and aborts its open transaction (the changelog's end is then stable), and the
   * empty transaction is aborted afterwards. Queued like a batch; a batch that arrives meanwhile
   * waits for it. Resolves when restored (or nothing to do), rejects when it failed or `signal` fired.
   */
  restoreState(signal: AbortSignal): Promise<void> {
    const run = this.busy.then(async () => {
      const state = this.state;
      if (!state?.stores.needsRestore || signal.aborted) return;
      await this.delivery.begin();
      try {
        await state.stores.restore(state.reader, signal);
      } finally {
        await this.delivery.abort();
      }
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Waits for the work queued before a batch (a restore on assignment), heartbeating meanwhile. */
  private async afterBusy(control: BatchControl): Promise<void> {
    const busy = this.busy;
    const heartbeats = setInterval(
      () => void control.heartbeat().catch(() => undefined),
      this.options.heartbeatIntervalMs,
    );
    try {
      await busy;
    } finally {
      clearInterval(heartbeats);
    }
  }

  /**
   * A fetch that held control records only — commit markers of a transactional input, aborted
   * records hidden by read_committed — from `first` up to `next` (exclusive). The consumer moves past
   * them without a batch to process; when the partition stands exactly at `first` (`standsAt` before
   * this worker's first commit), `next` is checkpointed as a batch of no records, so the group's
   * position reaches the partition's end. Anything else (a stale or earlier fetch) is left alone.
   * Resolves true when the position moved; rejects when the checkpoint failed (not when given up).
   */
  skipControlRecords(
    first: bigint,
    next: bigint,
    standsAt: () => Promise<bigint | undefined>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const run = this.busy.then(async () => {
      if (signal.aborted || next <= first) return false;
      const position = this.committed ?? (await standsAt());
      if (position !== first || signal.aborted) return false;
      await this.delivery.begin();
      try {
        await this.delivery.checkpoint(next);
      } catch (error) {
        await this.delivery.abort().catch(() => undefined);
        if (signal.aborted) return false;
        throw error;
      }
      this.committed = next;
      return true;
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Waits for the running batch, then closes the delivery and drops the partition's state. */
  async close(): Promise<void> {
    await this.busy;
    try {
      await this.delivery.close();
    } finally {
      await this.state?.stores.close();
    }
  }

  private async runBatch(all: readonly StreamRecord[], control: BatchControl): Promise<BatchOutcome> {
    const committed = this.committed;
    const records = committed === undefined ? all : all.filter((r) => r.offset >= committed);
    if (records.length === 0) {
      if (all.length > 0) control.resolveOffset(all[all.length - 1].offset);
      return { kind: 'abandoned' };
    }
    const { delivery, parked } = this;
    await delivery.begin();
    if (this.store && !this.restored) {
      try {
        for (const { key, failedOffset } of await this.store.restore(this.tp, control.signal))
          parked.park(key, failedOffset);
      } catch (error) {
        await delivery.abort();
        if (control.signal.aborted) return { kind: 'abandoned' };
        throw error;
      }
      this.restored = true;
    }
    if (this.state?.stores.needsRestore) {
      // After begin(): the partition's producer is initialised, a previous owner's open
      // transaction aborted, so the changelog is read to its true end before any record runs.
      const heartbeats = setInterval(
        () => void control.heartbeat().catch(() => undefined),
        this.options.heartbeatIntervalMs,
      );
      try {
        await this.state.stores.restore(this.state.reader, control.signal);
      } catch (error) {
        await delivery.abort();
        if (control.signal.aborted) return { kind: 'abandoned' };
        throw error;
      } finally {
        clearInterval(heartbeats);
      }
    }

    const tracker = new OffsetTracker();
    const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
    let failure: { error: unknown } | undefined;
    let lost = false;
    let lostError: unknown;
    let accepted = 0;
    let finished = 0;
    let allPushed = false;
    let wake!: () => void;
    const settled = new Promise<void>((resolve) => (wake = resolve));
    const onAbort = (): void => wake();
    control.signal.addEventListener('abort', onAbort);
    const heartbeats = setInterval(() => {
      control.heartbeat().catch((error: unknown) => {
        // The group is rebalancing (or the coordinator moved): this batch must wind up now.
        lost = true;
        lostError ??= error;
        wake();
      });
    }, this.options.heartbeatIntervalMs);

    const scheduler = new KeyScheduler<StreamRecord>({
      maxInFlight: this.options.keysPerPartition,
      maxBuffered: this.options.maxBuffered,
      handler: (record, signal) =>
        this.runner.run(record, signal, delivery, parked, changes, this.state?.stores).then(
          () => undefined,
          (error: unknown) => {
            if (!(error instanceof RecordAbandonedError)) failure ??= { error };
            wake();
            throw error;
          },
        ),
      onAccepted: (record) => {
        tracker.start(record.offset);
        accepted += 1;
      },
      onFinished: (record) => {
        tracker.finish(record.offset);
        finished += 1;
        if (allPushed && finished === accepted) wake();
      },
    });

    try {
      for (const record of records) {
        if (control.signal.aborted || failure || lost || control.intakeClosed()) break;
        if (!(await scheduler.push(record))) break;
      }
      allPushed = true;
      if (finished === accepted) wake();
      await settled;

      const givenUp = !failure && (control.signal.aborted || lost);
      const deadline = Date.now() + (failure || givenUp ? this.options.revokeTimeoutMs : 0);
      const report = givenUp ? await scheduler.abandon(deadline) : await scheduler.drain(deadline);
      const done = report.complete && !failure && !givenUp && accepted === records.length;
      // Every record done: the position moves past the control records that closed the fetch too.
      if (done && control.fetchedThrough !== undefined) tracker.skipTo(control.fetchedThrough);
      const next = tracker.committable();
      if (failure || next === undefined || (!report.complete && !this.options.partialCheckpoint)) {
        await this.giveUp(changes);
        if (failure && !givenUp && !control.signal.aborted) throw failure.error;
        return lost ? { kind: 'rejoin', error: lostError } : { kind: 'abandoned' };
      }
      try {
        // The state's changelog goes into the same transaction as the outputs and the offset.
        for (const record of this.state?.stores.batchChangelog() ?? [])
          await delivery.deadLetter(record, this.tp.partition);
        await delivery.checkpoint(next);
      } catch (error) {
        // Whether the transaction committed is not known: the state is read again from its changelog.
        this.state?.stores.invalidate();
        await this.giveUp(changes);
        if (lost) return { kind: 'rejoin', error: lostError };
        if (control.signal.aborted) return { kind: 'abandoned' };
        throw error;
      }
      this.committed = next;
      this.state?.stores.commitBatch();
      this.options.onCommitted?.(records, next);
      control.resolveOffset(next - 1n);
      if (lost) return { kind: 'rejoin', error: lostError };
      return { kind: 'committed', nextOffset: next, complete: done };
    } finally {
      clearInterval(heartbeats);
      control.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Nothing of the batch counts: its outputs are discarded (or repeated) and its parkings undone. */
  private async giveUp(changes: BatchParking): Promise<void> {
    for (const record of changes.parked) this.parked.release(record.key);
    for (const { key, failedOffset } of changes.released) this.parked.park(key, failedOffset);
    for (const { key, redriveId } of changes.brokenRedrives ?? []) this.parked.mendRedrive(key, redriveId);
    this.state?.stores.abortBatch();
    await this.delivery.abort();
  }
}
