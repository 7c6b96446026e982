import { type Admin, type Kafka } from 'kafkajs';
import { ConfigError, isRetriable, RetriableError } from '@sluice/errors';
import { type KafkaConfig, createKafkaClient } from '@sluice/kafka';
import { counter, type Logger } from '@sluice/observability';
import { parseAvroSchema, RecordDecoder, type RecordType, type SchemaRegistryClient } from '@sluice/schema';
import { TableTopicFollower, type TableTopicRecord } from '@sluice/stream';
import {
  type JoinLookupAt,
  type JoinTable,
  type JoinTableFactory,
  type JoinTableSpec,
  joinKeyText,
  TableRowShape,
} from '../steps/stateful/join-table';
import { ScopedTables, type TableRow } from '../steps/stateful/versioned-table';

// docs/metrics.md. `table` is a join's table topic (bounded by the pipeline file).
const skippedTableRecords = counter({
  name: 'sluice_join_table_skipped_records_total',
  help: "Records of a join's table topic left out of its table: `null_key` (Kafka Streams drops these too) or `undecodable`.",
  labelNames: ['table', 'reason'],
});

export interface KafkaJoinTableParts {
  readonly kafka: KafkaConfig;
  readonly registry: SchemaRegistryClient;
  /** How the table topic's keys are written, as the transformer reads its input's. */
  readonly keyFormat: 'avro' | 'bytes';
  readonly logger: Logger;
  /** Wall-clock time (injected for tests). */
  readonly clock?: () => number;
}

/** The transformer's tables: each `join` step follows its table topic from Kafka. */
export function kafkaJoinTables(parts: KafkaJoinTableParts): JoinTableFactory {
  return (spec) => new KafkaJoinTable(spec, parts);
}

/** A read of the table to its end: it covers the lookups of records fetched before it began. */
interface CatchUp {
  /** When it began (performance.now()): the end offsets it reads to were asked for after this. */
  readonly began: number;
  readonly done: Promise<void>;
  settled: boolean;
}

/**
 * A `join` step's table read from its topic: a TableTopicFollower applies every table record, in
 * offset order per partition, to a VersionedTable (decoded with the table's registry schema as of
 * start, unwrapped by TableRowShape). `start` reads the topic to its end before the pipeline runs
 * (restore) and checks co-partitioning. `lookup` for a record with timestamp T answers the version
 * as of T once the table is read far enough: already past T in every partition it needs (a newer
 * table record applied), or else read to the end offsets it had at a moment after the record's batch
 * was fetched (or, with `grace`, after grace past T) — one end-offset request shared by the lookups
 * of a batch, so in effect the table topic is consumed interleaved with each stream batch.
 *
 * Co-partitioned tables keep one VersionedTable per table partition and a record looks in its own
 * partition's; a global table keeps one for all. Either way every partition of the topic is read.
 */
export class KafkaJoinTable implements JoinTable {
  private admin: Admin | undefined;
  private kafkaClient: Kafka | undefined;
  private follower: TableTopicFollower | undefined;
  private shape: TableRowShape | undefined;
  private decoder: RecordDecoder | undefined;
  private keyDecoder: RecordDecoder | undefined;
  private readonly tables: ScopedTables;
  /** Per scope (a partition, or -1 for a global table): the latest read to the end, and one queued behind it. */
  private readonly catchUps = new Map<number, CatchUp>();
  private readonly queued = new Map<number, Promise<void>>();
  /** Per table partition: the latest timestamp of a record applied. */
  private readonly newest = new Map<number, number>();
  private readonly clock: () => number;
  private started: Promise<void> | undefined;
  private skipped = 0;
  private readonly warnedLeftOut = new Set<string>();

  constructor(
    private readonly spec: JoinTableSpec,
    private readonly parts: KafkaJoinTableParts,
  ) {
    this.clock = parts.clock ?? Date.now;
    this.tables = new ScopedTables(spec.global);
  }

  start(context: { readonly inputTopics: readonly string[] }): Promise<void> {
    this.started ??= this.begin(context).catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async begin(context: { readonly inputTopics: readonly string[] }): Promise<void> {
    const { registry } = this.parts;
    const topic = this.spec.topic;
    if (!this.admin) {
      this.kafkaClient = createKafkaClient(this.parts.kafka);
      this.admin = this.kafkaClient.admin();
      await this.admin.connect();
    }
    if (!(await this.admin.listTopics()).includes(topic))
      throw new RetriableError(
        `${this.spec.label}: the table topic ${topic} does not exist (yet): waiting for it`,
        {
          code: 'TABLE_TOPIC_MISSING',
        },
      );
    if (!this.spec.global) await this.checkCopartitioned(this.admin, context.inputTopics);
    let schemaText: string;
    try {
      schemaText = await registry.schemaById(await registry.latestId(`${topic}-value`));
    } catch (error) {
      if (isRetriable(error)) throw error;
      throw new RetriableError(
        `${this.spec.label}: the table topic ${topic} has no value schema in the registry (${topic}-value) yet: waiting for it`,
        { code: 'TABLE_SCHEMA_MISSING', cause: error },
      );
    }
    this.shape = new TableRowShape(parseAvroSchema(schemaText).type, topic);
    this.decoder = new RecordDecoder(registry, { readerSchema: schemaText });
    this.keyDecoder = new RecordDecoder(registry);
    this.follower = new TableTopicFollower(this.kafkaClient!, this.admin, topic, (r) => this.applyRecord(r));
    await this.follower.start();
    // Restore: the whole table as the topic holds it now, before the first stream record.
    const started = this.clock();
    await this.follower.catchUp(Math.max(this.spec.catchUpTimeoutMs, 120_000));
    const keys = this.tables.keys;
    this.parts.logger.info(
      { table: topic, keys, ms: this.clock() - started, global: this.spec.global },
      `${this.spec.label}: table ${topic} read to its end`,
    );
  }

  /** Same partition count as the single input topic, and (Avro keys) the same key schema id. */
  private async checkCopartitioned(admin: Admin, inputs: readonly string[]): Promise<void> {
    const { label, topic } = this.spec;
    const hint = 'or set global: true to read the whole table in every task';
    if (inputs.length !== 1)
      throw new ConfigError(
        `${label}: a co-partitioned join reads one input topic (from.topics has ${inputs.length}); ${hint}`,
        undefined,
        label,
      );
    const input = inputs[0]!;
    const { topics } = await admin.fetchTopicMetadata({ topics: [input, topic] });
    const count = (name: string) => topics.find((t) => t.name === name)?.partitions.length ?? 0;
    if (count(input) !== count(topic))
      throw new ConfigError(
        `${label}: not co-partitioned: the input topic ${input} has ${count(input)} partitions, the table topic ${topic} ${count(topic)}; ` +
          `repartition one of them, ${hint}`,
        undefined,
        label,
      );
    if (this.parts.keyFormat !== 'avro') return;
    const ids = await Promise.all(
      [input, topic].map((t) => this.parts.registry.latestId(`${t}-key`).catch(() => undefined)),
    );
    if (ids[0] !== undefined && ids[1] !== undefined && ids[0] !== ids[1])
      throw new ConfigError(
        `${label}: not co-partitioned: the keys of ${input} (schema id ${ids[0]}) and of ${topic} (schema id ${ids[1]}) ` +
          `are written with different key schemas, so equal keys have different bytes and land on different partitions; ${hint}`,
        undefined,
        label,
      );
  }

  rowSchema(): RecordType {
    if (!this.shape) throw new Error(`${this.spec.label}: the table ${this.spec.topic} was not started`);
    return this.shape.rowType;
  }

  async lookup(key: string, at: JoinLookupAt): Promise<TableRow | undefined> {
    const scope = this.spec.global ? -1 : at.partition;
    if (!this.passed(scope, at.timestamp)) {
      let since = at.fetchedAt ?? performance.now();
      const wait = at.timestamp + this.spec.graceMs - this.clock();
      if (this.spec.graceMs > 0 && wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        since = performance.now();
      }
      await this.readToEnd(scope, since);
    }
    return this.tables.asOf(at.partition, key, at.timestamp);
  }

  /**
   * The table was read past `timestamp` in every partition the scope needs (a record newer than it
   * applied): assuming table timestamps grow within a partition, nothing at or before it is left.
   */
  private passed(scope: number, timestamp: number): boolean {
    const partitions = scope < 0 ? this.follower!.partitions() : [scope];
    return partitions.every((p) => (this.newest.get(p) ?? -Infinity) > timestamp);
  }

  /**
   * Reads the table to its end as of a moment after `since` (when the record's batch was fetched):
   * joins a check that began after it, or queues one behind a check in flight (one queued check
   * serves every lookup waiting), or begins one. So the lookups of a fetched batch share one
   * end-offset request, however many of them the key scheduler lets run at once.
   */
  private readToEnd(scope: number, since: number): Promise<void> {
    const last = this.catchUps.get(scope);
    if (last && last.began >= since) return last.done;
    if (last && !last.settled) {
      let next = this.queued.get(scope);
      if (!next) {
        next = last.done
          .catch(() => undefined)
          .then(() => {
            this.queued.delete(scope);
            return this.check(scope);
          });
        this.queued.set(scope, next);
      }
      return next;
    }
    return this.check(scope);
  }

  private check(scope: number): Promise<void> {
    const began = performance.now();
    const done = this.follower!.catchUp(this.spec.catchUpTimeoutMs, scope < 0 ? undefined : [scope]);
    const entry: CatchUp = { began, done, settled: false };
    this.catchUps.set(scope, entry);
    done.then(
      () => (entry.settled = true),
      () => {
        entry.settled = true;
        if (this.catchUps.get(scope) === entry) this.catchUps.delete(scope);
      },
    );
    return done;
  }

  private async applyRecord(record: TableTopicRecord): Promise<void> {
    // No key, no row to look up: left out, as Kafka Streams' table source drops it (with a warning
    // and its dropped-records count), but never silently.
    if (record.key === null) {
      this.leaveOut(record, 'null_key', 'has a null key');
      return;
    }
    let key: string;
    let row: TableRow;
    try {
      key = joinKeyText(
        this.parts.keyFormat === 'avro' ? (await this.keyDecoder!.decode(record.key)).value : record.key,
      );
      row =
        record.value === null ? null : this.shape!.rowOf((await this.decoder!.decode(record.value)).value);
    } catch (error) {
      if (isRetriable(error)) throw error;
      this.leaveOut(record, 'undecodable', 'does not decode', error);
      return;
    }
    this.tables.put(record.partition, key, record.timestamp, row);
    this.newest.set(
      record.partition,
      Math.max(this.newest.get(record.partition) ?? -Infinity, record.timestamp),
    );
  }

  /** A table record kept out of the table: warned with its partition and offset, and counted. */
  private leaveOut(
    record: TableTopicRecord,
    reason: 'null_key' | 'undecodable',
    what: string,
    error?: unknown,
  ): void {
    this.skipped += 1;
    skippedTableRecords.inc({ table: this.spec.topic, reason });
    // The first per partition and reason as a warning, the rest at debug: a table topic full of
    // them (read again on every restore) must not flood the log; the counter has them all.
    const kind = `${record.partition}\u0000${reason}`;
    const firstOfKind = !this.warnedLeftOut.has(kind);
    this.warnedLeftOut.add(kind);
    this.parts.logger[firstOfKind ? 'warn' : 'debug'](
      {
        ...(error !== undefined ? { err: error } : {}),
        table: this.spec.topic,
        partition: record.partition,
        offset: String(record.offset),
      },
      `${this.spec.label}: a record of the table topic ${what}; it is left out of the table`,
    );
  }

  /** Table records left out: a null key, or a key or value that did not decode. */
  get skippedRecords(): number {
    return this.skipped;
  }

  async close(): Promise<void> {
    await this.follower?.stop();
    this.follower = undefined;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    this.started = undefined;
    this.tables.clear();
    this.catchUps.clear();
    this.queued.clear();
    this.newest.clear();
  }
}
