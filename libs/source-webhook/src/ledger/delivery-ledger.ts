import { randomUUID } from 'node:crypto';
import { type Consumer, type Kafka } from 'kafkajs';
import { withDeadline } from '@sluice/errors';
import { createConsumer } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';

/** The record header naming a webhook's delivery, `<endpoint>:<delivery id>`: what the ledger reads back. */
export const DELIVERY_ID_HEADER = 'sluice.webhook.delivery-id';

/**
 * A claim on a delivery id while its event is being written: a duplicate, a write of its own to
 * settle, or in doubt (an earlier attempt's write is still unresolved, e.g. Kafka is away).
 */
export type DeliveryClaim =
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'in-doubt' }
  | { readonly outcome: 'claimed'; settle(written: WriteOutcome): void };

/**
 * How a claimed delivery's write ended: written, not written (it never went out), or unknown (Kafka
 * failed the request after it went out) — then the ledger reads its topics to their current end
 * and the delivery counts as written exactly when its record is there.
 */
export type WriteOutcome = boolean | 'unknown';

/**
 * Which deliveries were written, read back from the endpoint topics themselves: each event carries
 * its delivery id in a header, so the event and its dedup entry are one record — nothing to keep
 * in step, and a crash between "written" and "remembered" cannot happen. At start the ledger reads
 * the last `windowMs` of every endpoint topic (Kafka's offsets for that time) before the source
 * answers anything; afterwards it keeps reading, so it also learns what the other replicas wrote.
 * On one replica a second request with an id in flight waits for the first's outcome.
 */
export class DeliveryLedger {
  private readonly written = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private consumer: Consumer | undefined;
  private pending = new Map<string, bigint>();
  /** Per `topic:partition`, the offset this ledger has read up to (exclusive). */
  private readonly readUpTo = new Map<string, bigint>();
  /** The last read to the topics' end offsets, and when it fetched them. */
  private readToEnd: { readonly startedAt: number; readonly done: Promise<void> } | undefined;
  private stopped = false;
  private caughtUpResolve: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  caughtUp = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: readonly string[],
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {}

  /** Reads the window of every topic; resolves once it has reached the end offsets it found at start. */
  async start(): Promise<void> {
    this.stopped = false;
    this.readUpTo.clear();
    this.readToEnd = undefined;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const since = Date.now() - this.windowMs;
      for (const topic of this.topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
        for (const end of ends) {
          const start = starts.find((s) => s.partition === end.partition)?.offset ?? end.high;
          const startAt = start === '-1' ? BigInt(end.high) : BigInt(start);
          this.readUpTo.set(`${topic}:${end.partition}`, startAt);
          if (BigInt(end.high) > startAt) this.pending.set(`${topic}:${end.partition}`, BigInt(end.high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    const caughtUp = new Promise<void>((resolve) => (this.caughtUpResolve = resolve));
    this.markIfCaughtUp();
    await this.follow();
    if (this.stopped) return;
    this.sweeper = setInterval(() => this.forgetOlderThan(Date.now() - this.windowMs), 60_000);
    this.sweeper.unref();
    await caughtUp;
    this.logger.info({ deliveries: this.written.size, topics: this.topics }, 'delivery ledger caught up');
  }

  /**
   * Reads every topic on from where this ledger stands, with a consumer group of its own per
   * process (every replica reads every partition) that commits nothing itself. kafkajs starts a joined
   * member's partitions at the group's committed offsets, or at the end without any, and a consumer
   * that crashes (a broker restart) restarts as a new member: it would skip what was written
   * meanwhile, and a claim in doubt waits for the ledger to read that far (CI: 503 for 4 minutes
   * after a broker outage). So each join seeks every assigned partition to this ledger's position;
   * kafkajs applies a seek made on GROUP_JOIN before the member's first fetch.
   */
  private async follow(): Promise<void> {
    const consumer = createConsumer(this.kafka, {
      groupId: `sluice-webhook-ledger-${randomUUID()}`,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment))
        for (const partition of partitions) {
          const position = this.readUpTo.get(`${topic}:${partition}`);
          if (position !== undefined) consumer.seek({ topic, partition, offset: position.toString() });
        }
    });
    // A crash kafkajs does not restart from (not retriable) would leave the ledger reading nothing.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped || this.consumer !== consumer) return;
      this.logger.error({ err: payload.error }, 'delivery ledger stopped reading; following again');
      this.followAgain();
    });
    // A stop (or a start after it) while this one connects: this consumer is no one's any more.
    const abandoned = async () => {
      if (!this.stopped && this.consumer === consumer) return false;
      await consumer.disconnect().catch(() => undefined);
      return true;
    };
    try {
      await consumer.connect();
      if (await abandoned()) return;
      // From the beginning only where no position is known (a partition added since the start), or
      // where the position is gone (retention): reading again is harmless, skipping is not.
      await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
      if (await abandoned()) return;
      await this.rememberDeliveries(consumer);
      await abandoned();
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      if (this.consumer === consumer) this.consumer = undefined;
      throw error;
    }
  }

  /** Runs `consumer`: each record's delivery id is remembered, each partition's position kept. */
  private rememberDeliveries(consumer: Consumer): Promise<void> {
    return consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const id = message.headers?.[DELIVERY_ID_HEADER];
          if (id !== undefined) this.written.set(String(id), Number(message.timestamp));
        }
        const key = `${batch.topic}:${batch.partition}`;
        const next = BigInt(batch.lastOffset()) + 1n;
        if (next > (this.readUpTo.get(key) ?? -1n)) this.readUpTo.set(key, next);
        const target = this.pending.get(key);
        if (target !== undefined && next >= target) {
          this.pending.delete(key);
          this.markIfCaughtUp();
        }
      },
    });
  }

  /** A new consumer from the positions read so far, retried each second while Kafka is away. */
  private followAgain(): void {
    this.consumer = undefined;
    this.followTimer = setTimeout(() => {
      this.followTimer = undefined;
      if (this.stopped) return;
      this.follow().catch((error: unknown) => {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'delivery ledger could not follow its topics yet; retrying');
        this.followAgain();
      });
    }, 1_000).unref();
  }

  /**
   * Claims `id` for writing: a duplicate when it was written (here or by another replica), or after
   * the write in flight for it on this replica succeeds; in doubt when that write stays unresolved
   * for `waitMs` (its record may still land: a second write now could make two).
   */
  async claim(id: string, waitMs: number): Promise<DeliveryClaim> {
    for (;;) {
      if (this.written.has(id)) return { outcome: 'duplicate' };
      const running = this.inFlight.get(id);
      if (running === undefined) break;
      const written = await withDeadline(running, waitMs, `delivery ${id} in flight`).catch(() => undefined);
      if (written === undefined) return { outcome: 'in-doubt' };
      if (written) return { outcome: 'duplicate' };
    }
    let settle!: (written: boolean) => void;
    const outcome = new Promise<boolean>((resolve) => (settle = resolve));
    this.inFlight.set(id, outcome);
    const finish = (written: boolean) => {
      if (written) this.written.set(id, Date.now());
      this.inFlight.delete(id);
      settle(written);
    };
    return {
      outcome: 'claimed',
      settle: (written) => {
        if (written !== 'unknown') return finish(written);
        // Until the topics are read this far the claim stays in flight: retries are told to come
        // back (in doubt) instead of writing a second copy of a record that may have landed.
        const failedAt = Date.now();
        void this.readToEndSince(failedAt).then(
          () => finish(this.written.has(id)),
          () => undefined, // stopped: no one is answered any more
        );
      },
    };
  }

  /**
   * Resolves once this ledger has read every topic up to the end offsets Kafka reports at some time
   * after `since`; concurrent callers share one read. Rejects when the ledger stops first.
   */
  private readToEndSince(since: number): Promise<void> {
    if (this.readToEnd !== undefined && this.readToEnd.startedAt >= since) return this.readToEnd.done;
    const startedAt = Date.now();
    const done = this.readUntilEnds();
    this.readToEnd = { startedAt, done };
    return done;
  }

  private async readUntilEnds(): Promise<void> {
    let targets: Map<string, bigint> | undefined;
    while (targets === undefined) {
      if (this.stopped) throw new Error('the delivery ledger stopped');
      targets = await this.endOffsets().catch(() => undefined);
      if (targets === undefined) await new Promise((r) => setTimeout(r, 1_000)); // Kafka still away
    }
    const reached = () => [...targets!].every(([key, end]) => (this.readUpTo.get(key) ?? -1n) >= end);
    while (!reached()) {
      if (this.stopped) throw new Error('the delivery ledger stopped');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async endOffsets(): Promise<Map<string, bigint>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const out = new Map<string, bigint>();
      for (const topic of this.topics)
        for (const end of await admin.fetchTopicOffsets(topic))
          out.set(`${topic}:${end.partition}`, BigInt(end.high));
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /** Delivery ids remembered now. */
  get size(): number {
    return this.written.size;
  }

  /** Stops reading; a start waiting to catch up returns (its caller sees it was stopped). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.followTimer) clearTimeout(this.followTimer);
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.caughtUpResolve?.();
  }

  private markIfCaughtUp(): void {
    if (this.pending.size > 0 || this.caughtUp) return;
    this.caughtUp = true;
    this.caughtUpResolve?.();
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [id, at] of this.written) if (at < cutoff) this.written.delete(id);
  }
}
