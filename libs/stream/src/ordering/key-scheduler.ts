import { keyIdentity, type RecordKey } from './record-key';

/** What the scheduler needs to know of a record: its offset in the partition and its key. */
export interface SchedulableRecord {
  readonly offset: bigint;
  readonly key: RecordKey;
}

/**
 * Processes one record. Resolving means the record is done for good (processed, dead-lettered or
 * parked) and its offset may be committed. The signal fires when the partition is being given up
 * (`abandon`, or a `drain` deadline): a handler that stops because of it must reject, never
 * resolve, or the record would count as done.
 */
export type RecordHandler<R> = (record: R, signal: AbortSignal) => Promise<void>;

export interface KeySchedulerOptions<R extends SchedulableRecord> {
  readonly handler: RecordHandler<R>;
  /** Handlers running at once (different keys). At least 1. */
  readonly maxInFlight: number;
  /**
   * Records accepted and not finished (running plus waiting behind their key). `push` waits while
   * this many are held, so memory stays flat on a huge backlog. Default `4 * maxInFlight`.
   */
  readonly maxBuffered?: number;
  /** Called synchronously when a record is accepted (e.g. `OffsetTracker.start`). */
  readonly onAccepted?: (record: R) => void;
  /** Called synchronously when a record's handler resolved (e.g. `OffsetTracker.finish`). */
  readonly onFinished?: (record: R) => void;
}

/** What `drain` or `abandon` left behind. Finished offsets were reported through `onFinished`. */
export interface SettleReport<R> {
  /** True when every accepted record finished (a complete drain). */
  readonly complete: boolean;
  /** Records finished over the scheduler's life. */
  readonly finished: number;
  /** Handlers still running when the deadline passed, in offset order. */
  readonly running: readonly R[];
  /** Accepted records never started (abandoned, failed or out of time), in offset order. */
  readonly notStarted: readonly R[];
  /** Records whose handler rejected: unfinished, their offsets must not be committed. */
  readonly failed: readonly R[];
  /** The handler failure that stopped the scheduler, if one did (not rejections after `abandon`). */
  readonly error?: unknown;
}

type State = 'open' | 'draining' | 'abandoned' | 'failed';

/**
 * Runs the records of one partition with key-level concurrency: records of one key strictly one
 * after another in offset order, different keys concurrently up to `maxInFlight`. Records with a
 * null key carry no ordering promise in Kafka and are each scheduled on their own.
 *
 * Ready records start in the order they became ready (FIFO), which keeps the lowest offsets moving
 * and the committable offset advancing. A handler rejection (outside `abandon`) stops the
 * scheduler: nothing new starts, `push` answers false, and the record stays unfinished so its
 * offset is never committed — retries and dead-lettering belong inside the handler.
 */
export class KeyScheduler<R extends SchedulableRecord> {
  private readonly handler: RecordHandler<R>;
  private readonly maxInFlight: number;
  private readonly maxBuffered: number;
  private readonly onAccepted?: (record: R) => void;
  private readonly onFinished?: (record: R) => void;

  private state: State = 'open';
  /** Accepted, unfinished records of each key; the head is running or ready. */
  private readonly byKey = new Map<string, R[]>();
  private ready: R[] = [];
  private readyHead = 0;
  private readonly running = new Set<R>();
  private readonly rejected: R[] = [];
  private held = 0;
  private finishedCount = 0;
  private acceptedCount = 0;
  private lastOffset: bigint | undefined;
  private pushWaiter: ((accepted: boolean) => void) | undefined;
  private readonly abort = new AbortController();
  private failure: { error: unknown } | undefined;
  private settling: Promise<SettleReport<R>> | undefined;
  private settle: (() => void) | undefined;

  constructor(options: KeySchedulerOptions<R>) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new RangeError(`maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
    const maxBuffered = options.maxBuffered ?? 4 * options.maxInFlight;
    if (!Number.isInteger(maxBuffered) || maxBuffered < options.maxInFlight) {
      throw new RangeError(`maxBuffered must be an integer >= maxInFlight, got ${maxBuffered}`);
    }
    this.handler = options.handler;
    this.maxInFlight = options.maxInFlight;
    this.maxBuffered = maxBuffered;
    this.onAccepted = options.onAccepted;
    this.onFinished = options.onFinished;
  }

  /** Handlers running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Records accepted and not finished. */
  get buffered(): number {
    return this.held;
  }

  /**
   * Hands over the next record of the partition. Resolves true once accepted — immediately while
   * there is room, later when enough records finished — or false when the scheduler stopped
   * (drained, abandoned, failed) before accepting it. Await each push before the next one.
   */
  async push(record: R): Promise<boolean> {
    if (this.pushWaiter) throw new Error('KeyScheduler.push called before the previous push resolved');
    if (this.lastOffset !== undefined && record.offset <= this.lastOffset) {
      throw new RangeError(`offset ${record.offset} pushed after ${this.lastOffset}: offsets must increase`);
    }
    while (this.state === 'open' && this.held >= this.maxBuffered) {
      const accepted = await new Promise<boolean>((resolve) => (this.pushWaiter = resolve));
      this.pushWaiter = undefined;
      if (!accepted) return false;
    }
    if (this.state !== 'open') return false;
    this.accept(record);
    return true;
  }

  /**
   * Stops accepting records and lets everything accepted finish, until `deadline` (epoch ms). At
   * the deadline the handlers' signal fires and the report lists what was left.
   */
  drain(deadline: number): Promise<SettleReport<R>> {
    if (this.state === 'open') this.state = 'draining';
    return this.beginSettling(deadline);
  }

  /**
   * For a revoked partition: starts nothing new, fires the handlers' signal at once and waits for
   * running handlers until `deadline` (epoch ms). Offsets that finished meanwhile were reported
   * through `onFinished`, so they can still be committed before the partition goes.
   */
  abandon(deadline: number): Promise<SettleReport<R>> {
    if (this.state === 'open' || this.state === 'draining') this.state = 'abandoned';
    this.abort.abort();
    return this.beginSettling(deadline);
  }

  private accept(record: R): void {
    this.lastOffset = record.offset;
    this.held += 1;
    this.acceptedCount += 1;
    this.onAccepted?.(record);
    const id = keyIdentity(record.key);
    if (id === null) {
      this.ready.push(record);
    } else {
      const queue = this.byKey.get(id);
      if (queue) queue.push(record);
      else {
        this.byKey.set(id, [record]);
        this.ready.push(record);
      }
    }
    this.pump();
  }

  private pump(): void {
    while (
      (this.state === 'open' || this.state === 'draining') &&
      this.running.size < this.maxInFlight &&
      this.readyHead < this.ready.length
    ) {
      const record = this.ready[this.readyHead];
      this.readyHead += 1;
      this.start(record);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private start(record: R): void {
    this.running.add(record);
    let work: Promise<void>;
    try {
      work = this.handler(record, this.abort.signal);
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      () => this.finished(record),
      (error: unknown) => this.failed(record, error),
    );
  }

  private finished(record: R): void {
    this.running.delete(record);
    this.held -= 1;
    this.finishedCount += 1;
    this.onFinished?.(record);
    const id = keyIdentity(record.key);
    if (id !== null) {
      const queue = this.byKey.get(id)!;
      queue.shift();
      if (queue.length > 0) this.ready.push(queue[0]);
      else this.byKey.delete(id);
    }
    if (this.pushWaiter && this.held < this.maxBuffered) this.pushWaiter(true);
    this.pump();
    this.checkSettled();
  }

  private failed(record: R, error: unknown): void {
    this.running.delete(record);
    this.rejected.push(record);
    const id = keyIdentity(record.key);
    if (id !== null) {
      // The key's later records stay queued behind it and are reported as not started.
      const queue = this.byKey.get(id)!;
      queue.shift();
      if (queue.length === 0) this.byKey.delete(id);
    }
    if (this.state !== 'abandoned' && !this.failure) {
      this.failure = { error };
      this.state = 'failed';
      this.abort.abort();
    }
    this.pushWaiter?.(false);
    this.checkSettled();
  }

  private beginSettling(deadline: number): Promise<SettleReport<R>> {
    this.pushWaiter?.(false);
    if (!this.settling) {
      this.settling = new Promise<SettleReport<R>>((resolve) => {
        const timer = setTimeout(
          () => {
            if (this.state === 'draining') this.state = 'abandoned';
            this.abort.abort();
            done();
          },
          Math.max(0, deadline - Date.now()),
        );
        const done = (): void => {
          clearTimeout(timer);
          this.settle = undefined;
          resolve(this.report());
        };
        this.settle = done;
      });
    }
    this.checkSettled();
    return this.settling;
  }

  private checkSettled(): void {
    if (!this.settle || this.running.size > 0) return;
    if (this.state === 'draining' && this.held > 0 && !this.failure) return;
    this.settle();
  }

  private report(): SettleReport<R> {
    const running = [...this.running];
    const notStarted: R[] = [];
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const record = this.ready[i];
      if (keyIdentity(record.key) === null) notStarted.push(record);
    }
    for (const queue of this.byKey.values()) {
      for (const record of queue) if (!this.running.has(record)) notStarted.push(record);
    }
    const byOffset = (a: R, b: R): number => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0);
    return {
      complete: this.finishedCount === this.acceptedCount,
      finished: this.finishedCount,
      running: running.sort(byOffset),
      notStarted: notStarted.sort(byOffset),
      failed: [...this.rejected].sort(byOffset),
      ...(this.failure ? { error: this.failure.error } : {}),
    };
  }
}
