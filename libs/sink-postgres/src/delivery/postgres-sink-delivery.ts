import { type Admin, type Kafka } from 'kafkajs';
import { type Pool, type PoolClient } from 'pg';
import { classifyPostgresFailure, compileRetryPolicy, type RetryPolicy, retryOrThrow } from '@sluice/errors';
import { createProducer, offsetResetId, RenewingProducer } from '@sluice/kafka';
import {
  DB_NAMESPACE,
  DB_OPERATION_BATCH_SIZE,
  DB_OPERATION_NAME,
  DB_SYSTEM_NAME,
  type Logger,
  MessageTracing,
  releaseInTurn,
  type TraceSpan,
} from '@sluice/observability';
import {
  buildDeadLetterRecord,
  type DeadLetterLimit,
  type DeadLetterRecord,
  type DeliveryStrategy,
  type GroupOffsetCommitter,
  GroupOffsetMirror,
  OrderedOutputSender,
  type PartitionDelivery,
  PartitionLostError,
  type TopicPartition,
} from '@sluice/stream';
import { type RowChange } from '../plan/row-change';
import { type BookkeepingTables } from '../sql/change-statements';
import { type Detach, type ReplicationOrigin } from '../target/replication-origin';
import { isTransientTargetFailure, PartitionFencedError, TargetUnavailableError } from '../sink-errors';
import { BatchWriter, isRowRejection, type SyncWriting, type WriteReport } from './batch-writer';
import { sinkConflictsCounter } from './sink-metrics';
import { ChangeBatch } from './change-batch';

/** Running totals for the status endpoint. */
export interface SinkCounters {
  rowsUpserted: number;
  rowsDeleted: number;
  conflicts: number;
  rowsRefused: number;
  batchesCommitted: number;
}

export interface PostgresSinkDeliveryOptions {
  readonly pool: Pool;
  readonly books: BookkeepingTables;
  readonly group: string;
  readonly kafka: Kafka;
  readonly lww: boolean;
  readonly counters: SinkCounters;
  /** Attempts of a checkpoint transaction cut off by the database (connection lost, deadlock). */
  readonly maxAttempts: number;
  /** The target database's name (the write spans' `db.namespace`). */
  readonly database?: string;
  /**
   * `target.replicationOrigin`: every write transaction (batches and partition claims) runs with
   * one of the sink's replication origins set up, so the changes it writes carry that origin.
   */
  readonly origin?: ReplicationOrigin;
  /** Two-way sync (`sync`): conflicts decided against the rows' last writers (sync-statements). */
  readonly sync?: SyncWriting;
  /**
   * Commits a group offset to Kafka (the runtime's `DeliveryContext.commitGroupOffset`): with it,
   * each committed position is mirrored to the group, for Kafka's tools only. Without it (tests of
   * the delivery alone) nothing is committed to Kafka.
   */
  readonly commitGroupOffset?: GroupOffsetCommitter;
  /** Where a failed mirror commit is told (warn the first time per partition, then debug). */
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
  /** The group's DLQ and its max.message.bytes (`DeliveryContext.deadLetters`): dead letters are cut to fit it. */
  readonly deadLetters?: DeadLetterLimit;
  /**
   * A batch's statement did not fit its table (SQLSTATE 42703/42804/42883: a column dropped or of
   * another type since the table was checked): the tables are to be checked again (TableShaper.forget).
   */
  readonly tableChanged?: () => void;
}

const tracing = new MessageTracing('@sluice/sink-postgres');

/**
 * At most one mirror commit per partition per second. Committing after every batch cost the broker
 * an OffsetCommit per batch (66 a second at 1,000 rows/s in the pipeline bench) for a figure that
 * lag dashboards and KEDA read every few seconds; Kafka Connect commits sink offsets every 60 s.
 */
const GROUP_OFFSET_MIRROR_INTERVAL_MS = 1_000;

/**
 * The sink's delivery strategy: each fetched batch's row changes and the partition's next offset
 * are written in ONE target-database transaction (`sluice_sink_offsets`), so the effect is
 * exactly-once whatever crashes: a batch is either wholly in the database with its offset, or not
 * at all and consumed again from the stored offset (`startingOffset`, where the runtime seeks).
 *
 * Zombie fencing: claiming a partition (`startingOffset`) bumps the row's `epoch`; a checkpoint
 * updates the offset only where the epoch is still its own — first thing in its transaction, so
 * it holds the row lock to the end and a new owner's claim waits for it. A former owner's batch
 * finds another epoch and rolls back (PartitionFencedError).
 *
 * The database is the only position. The runtime seeks to it as soon as a partition is assigned
 * (whatever the group's Kafka offset says: a Kafka position ahead of the database's would hide
 * records that were never written, e.g. after the target was restored from a backup). The
 * position is also mirrored to the group's Kafka offsets after commits and claims
 * (GroupOffsetMirror: in the background, at most one commit in flight and one a second per
 * partition, a failure logged and dropped), so that `sluice topics list`, lag dashboards and KEDA see the real lag, as
 * with Kafka Connect's sinks; those offsets are informational and never read back as a position.
 * The one exception is an operator's reset (`sluice replay --group`): offsets committed with
 * metadata `sluice.reset:<id>`. A claim reads the group's committed offset and, when it carries a
 * reset the row has not taken yet, takes that offset and records the reset id in the same
 * statement (the mirror's commits carry no metadata, so a reset is seen only until it is taken).
 *
 * Dead letters (the runtime's, and changes the target refused) go to Kafka with an idempotent
 * producer and are acknowledged before the database commit: never lost; repeated if the process
 * dies between the two (the DLQ is at-least-once). A failed produce fails the transaction, which
 * is tried again (`maxAttempts`) on a renewed producer (RenewingProducer: kafkajs rolled the failed
 * request's sequence numbers back, and the same producer's next dead letters could be refused for
 * ever or dropped as duplicates); dead letters whose request failed after it went out may then be
 * in the DLQ twice.
 */
export class PostgresSinkDelivery implements DeliveryStrategy<RowChange> {
  readonly name = 'postgres-transaction';
  private producer: RenewingProducer | undefined;
  private admin: Admin | undefined;
  private readonly writer: BatchWriter;
  private readonly conflictsMetric: { inc(value?: number): void };
  private readonly stored = new Map<string, bigint>();
  private mirror: GroupOffsetMirror | undefined;
  /** A checkpoint transaction the database cut off is done again after 200 ms, doubling up to 5 s. */
  private readonly commitRetry: RetryPolicy;

  constructor(private readonly options: PostgresSinkDeliveryOptions) {
    this.writer = new BatchWriter(options.books, options.lww, options.sync);
    this.conflictsMetric = sinkConflictsCounter(options.group, options.sync);
    this.commitRetry = compileRetryPolicy(
      {
        maxAttempts: options.maxAttempts,
        initialDelayMs: 200,
        maxDelayMs: 5_000,
        jitter: 'none',
        maxElapsedMs: Infinity,
      },
      'target.maxCommitAttempts',
    );
  }

  async start(): Promise<void> {
    const { kafka } = this.options;
    this.producer = new RenewingProducer(() => createProducer(kafka));
    await this.producer.connect();
    this.admin = this.options.kafka.admin();
    await this.admin.connect();
    const { commitGroupOffset, logger, group } = this.options;
    if (commitGroupOffset !== undefined && this.mirror === undefined)
      this.mirror = new GroupOffsetMirror({
        group,
        commit: commitGroupOffset,
        minIntervalMs: GROUP_OFFSET_MIRROR_INTERVAL_MS,
        onFailure: (tp, error, first) => {
          const lost = error instanceof PartitionLostError;
          const line = `offset of ${tp.topic}[${tp.partition}] not mirrored to the Kafka group (informational; the target's offsets stay authoritative)`;
          if (first && !lost) logger?.warn({ err: error, group }, line);
          else logger?.debug({ err: error, group }, line);
        },
      });
  }

  /** The next offset stored in the target for `tp` as this instance last read or wrote it. */
  storedOffset(tp: TopicPartition): bigint | undefined {
    return this.stored.get(`${tp.topic}\u0000${tp.partition}`);
  }

  forPartition(tp: TopicPartition): PartitionDelivery<RowChange> {
    if (!this.producer) throw new Error('PostgresSinkDelivery.start() must be called first');
    const admin = this.admin!;
    const mirror = this.mirror;
    return new PostgresPartitionDelivery(
      tp,
      this.options,
      this.writer,
      this.conflictsMetric,
      this.commitRetry,
      this.producer,
      {
        stored: (next) => {
          this.stored.set(`${tp.topic}\u0000${tp.partition}`, next);
          mirror?.publish(tp, next);
        },
        closed: () => mirror?.forget(tp),
      },
      () => committedReset(admin, this.options.group, tp),
    );
  }

  /** Disconnects the producer and the admin client, the admin also when the producer's disconnect failed. */
  async stop(): Promise<void> {
    const { producer, admin } = this;
    this.producer = undefined;
    this.admin = undefined;
    await releaseInTurn([() => producer?.disconnect(), () => admin?.disconnect().catch(() => undefined)]);
  }
}

/** An operator's reset of the group's offset for `tp`, when that is what Kafka holds. */
async function committedReset(
  admin: Admin,
  group: string,
  tp: TopicPartition,
): Promise<{ id: string; offset: bigint } | undefined> {
  // All the group's topics: naming one would make kafkajs look up its metadata first.
  const topics = await admin.fetchOffsets({ groupId: group });
  const topic = topics.find((t) => t.topic === tp.topic);
  const committed = topic?.partitions.find((p) => p.partition === tp.partition);
  const id = offsetResetId(committed?.metadata);
  if (committed === undefined || id === undefined || Number(committed.offset) < 0) return undefined;
  return { id, offset: BigInt(committed.offset) };
}

class PostgresPartitionDelivery implements PartitionDelivery<RowChange> {
  private batch: ChangeBatch;
  private deadLetters: Array<{ record: DeadLetterRecord; partition: number }> = [];
  /** The batch's sampled record spans: each trace ends with the transaction that writes it. */
  private traces: TraceSpan[] = [];
  private epoch: bigint | undefined;

  constructor(
    private readonly tp: TopicPartition,
    private readonly options: PostgresSinkDeliveryOptions,
    private readonly writer: BatchWriter,
    private readonly conflictsMetric: { inc(value?: number): void },
    private readonly commitRetry: RetryPolicy,
    private readonly producer: RenewingProducer,
    /** `stored`: the target holds `next` for the partition now (after a claim or a commit). */
    private readonly position: { stored(next: bigint): void; closed(): void },
    private readonly pendingReset: () => Promise<{ id: string; offset: bigint } | undefined>,
  ) {
    this.batch = new ChangeBatch(options.lww);
  }

  /**
   * Claims the partition (a new epoch) and answers the stored next offset — or, when the group's
   * committed offset is an operator's reset this row has not taken yet, takes the reset's offset
   * (and its id) in the same statement.
   */
  async startingOffset(): Promise<bigint | undefined> {
    const reset = await this.pendingReset();
    const { rows } = await this.marked((client) =>
      client.query<{ next_offset: string | null; epoch: string }>(
        `INSERT INTO ${this.options.books.offsets} AS o (group_id, topic, "partition", epoch, next_offset, applied_reset) ` +
          `VALUES ($1, $2, $3, 1, $4::bigint, $5::text) ` +
          `ON CONFLICT (group_id, topic, "partition") DO UPDATE SET epoch = o.epoch + 1, updated_at = now(), ` +
          `next_offset = CASE WHEN $5::text IS NOT NULL AND o.applied_reset IS DISTINCT FROM $5::text ` +
          `THEN $4::bigint ELSE o.next_offset END, applied_reset = COALESCE($5::text, o.applied_reset) ` +
          `RETURNING next_offset, epoch`,
        [
          this.options.group,
          this.tp.topic,
          this.tp.partition,
          reset === undefined ? null : String(reset.offset),
          reset?.id ?? null,
        ],
      ),
    );
    this.epoch = BigInt(rows[0].epoch);
    if (rows[0].next_offset === null) return undefined;
    const stored = BigInt(rows[0].next_offset);
    this.position.stored(stored);
    return stored;
  }

  async begin(): Promise<void> {
    this.batch = new ChangeBatch(this.options.lww);
    this.deadLetters = [];
    this.traces = [];
  }

  async send(changes: readonly RowChange[], trace?: TraceSpan): Promise<void> {
    for (const change of changes) this.batch.add(change);
    if (trace?.sampled) this.traces.push(trace);
  }

  async deadLetter(record: DeadLetterRecord, partition: number): Promise<void> {
    this.deadLetters.push({ record, partition });
  }

  async checkpoint(nextOffset: bigint): Promise<void> {
    if (this.epoch === undefined) await this.startingOffset();
    const report = await retryOrThrow(() => this.commit(nextOffset), this.commitRetry).catch(
      (error: unknown) => {
        if (classifyPostgresFailure(error)?.kind === 'definition') this.options.tableChanged?.();
        throw error;
      },
    );
    this.record(report);
    // Committed: also to the Kafka group, in the background (PostgresSinkDelivery's note).
    this.position.stored(nextOffset);
    this.batch = new ChangeBatch(this.options.lww);
    this.deadLetters = [];
    this.traces = [];
  }

  async abort(): Promise<void> {
    this.batch = new ChangeBatch(this.options.lww);
    this.deadLetters = [];
    this.traces = [];
  }

  async close(): Promise<void> {
    this.position.closed();
    await this.abort();
  }

  /** One transaction of the batch; one the database cut off fails as a TargetUnavailableError. */
  private async commit(nextOffset: bigint): Promise<WriteReport> {
    const write = tracing.write(this.traces, `write ${this.options.database ?? 'target'}`, {
      [DB_SYSTEM_NAME]: 'postgresql',
      [DB_OPERATION_NAME]: 'write batch',
      [DB_OPERATION_BATCH_SIZE]: this.batch.size,
      ...(this.options.database !== undefined ? { [DB_NAMESPACE]: this.options.database } : {}),
    });
    try {
      const report = await this.transaction(nextOffset);
      write.end();
      return report;
    } catch (error) {
      write.end(error);
      throw isTransientTargetFailure(error)
        ? new TargetUnavailableError(`target database: ${(error as Error).message}`, { cause: error })
        : error;
    }
  }

  private async transaction(nextOffset: bigint, careful = false): Promise<WriteReport> {
    const client = await this.options.pool.connect();
    let broken = false;
    let released = false;
    let detach: Detach | undefined;
    try {
      detach = await this.options.origin?.attach(client);
      await client.query('BEGIN');
      const claimed = await client.query(
        `UPDATE ${this.options.books.offsets} SET next_offset = $4, updated_at = now() ` +
          `WHERE group_id = $1 AND topic = $2 AND "partition" = $3 AND epoch = $5`,
        [this.options.group, this.tp.topic, this.tp.partition, String(nextOffset), String(this.epoch)],
      );
      if (claimed.rowCount !== 1)
        throw new PartitionFencedError(this.options.group, this.tp.topic, this.tp.partition);
      let report: WriteReport;
      try {
        report = await this.writer.write(client, this.batch, careful);
      } catch (error) {
        if (careful || !isRowRejection(error)) throw error;
        // A row the target refuses: the batch again, statement by statement, setting aside only it.
        await client.query('ROLLBACK');
        await this.detach(client, detach);
        released = true;
        return await this.transaction(nextOffset, true);
      }
      await this.produceDeadLetters(report);
      await client.query('COMMIT');
      return report;
    } catch (error) {
      if (released) throw error;
      broken = isTransientTargetFailure(error);
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      if (!released) await this.detach(client, detach, broken);
    }
  }

  /** Resets the connection's origin and releases it (destroyed when broken or the reset failed). */
  private async detach(client: PoolClient, detach: Detach | undefined, broken = false): Promise<void> {
    if (detach !== undefined) await detach(broken).catch(() => (broken = true));
    client.release(broken);
  }

  /** `work` on a pooled connection with the sink's origin set up (none configured: as it is). */
  private async marked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.options.pool.connect();
    let broken = false;
    let detach: Detach | undefined;
    try {
      detach = await this.options.origin?.attach(client);
      return await work(client);
    } catch (error) {
      broken = isTransientTargetFailure(error);
      throw error;
    } finally {
      await this.detach(client, detach, broken);
    }
  }

  private async produceDeadLetters(report: WriteReport): Promise<void> {
    const letters = [...this.deadLetters];
    const at = Date.now();
    for (const { change, error } of report.refused) {
      letters.push({
        record: buildDeadLetterRecord(
          change.record,
          { group: this.options.group, stage: 'TASK_PUT', className: 'PostgresSink' },
          { kind: 'failed', error, attempts: 1, firstAttemptAt: at, lastAttemptAt: at },
        ),
        partition: change.record.partition,
      });
    }
    if (letters.length === 0) return;
    // Batched by bytes as every other dead letter is: each carries its stack in headers, so a
    // count alone could pass the broker's message.max.bytes.
    const deadLetters = this.options.deadLetters;
    const sender = new OrderedOutputSender(
      async (topicMessages) => {
        await this.producer.sendBatch({ topicMessages, acks: -1 });
      },
      Number.POSITIVE_INFINITY,
      deadLetters === undefined ? {} : { deadLetters },
    );
    for (const { record, partition } of letters) await sender.addDeadLetter(record, partition);
    await sender.flush();
  }

  private record(report: WriteReport): void {
    const { counters } = this.options;
    counters.rowsUpserted += report.upserted;
    counters.rowsDeleted += report.deleted;
    counters.conflicts += report.conflicts;
    if (report.conflicts > 0) this.conflictsMetric.inc(report.conflicts);
    counters.rowsRefused += report.refused.length;
    counters.batchesCommitted += 1;
  }
}
