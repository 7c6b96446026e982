import { type Admin, type Kafka } from 'kafkajs';
import { ConfigError, isRetriable, RetriableError } from '@sluice/errors';
import { type KafkaConfig, createKafkaClient } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';
import { parseAvroSchema, RecordDecoder, type RecordType, type SchemaRegistryClient } from '@sluice/schema';
import { TableTopicFollower, type TableTopicRecord } from '@sluice/stream';
import {
  type JoinTable,
  type JoinTableFactory,
  type JoinTableSpec,
  joinKeyText,
  TableRowShape,
} from '../steps/stateful/join-table';
import { type TableRow, VersionedTable } from '../steps/stateful/versioned-table';

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

/** Where the table was last read to its end: the wall-clock time the check began. */
interface CatchUp {
  readonly startedAt: number;
  readonly done: Promise<void>;
}

/**
 * A `join` step's table read from its topic: a TableTopicFollower applies every table record, in
 * offset order per partition, to a VersionedTable (decoded with the table's registry schema as of
 * start, unwrapped by TableRowShape). `start` reads the topic to its end before the pipeline runs
 * (restore) and checks co-partitioning; `lookup` for a record with timestamp T makes sure a read to
 * the end began at or after T + grace (one shared check for concurrent lookups), then answers the
 * version as of T.
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
  private readonly tables = new Map<number, VersionedTable>();
  /** Per scope (a partition, or -1 for a global table): the latest read to the end. */
  private readonly catchUps = new Map<number, CatchUp>();
  private readonly clock: () => number;
  private started: Promise<void> | undefined;
  private skipped = 0;

  constructor(
    private readonly spec: JoinTableSpec,
    private readonly parts: KafkaJoinTableParts,
  ) {
    this.clock = parts.clock ?? Date.now;
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
    const done = this.follower.catchUp(Math.max(this.spec.catchUpTimeoutMs, 120_000));
    await done;
    for (const p of [-1, ...this.follower.partitions()]) this.catchUps.set(p, { startedAt: started, done });
    const keys = [...this.tables.values()].reduce((n, t) => n + t.size.keys, 0);
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

  async lookup(key: string, at: { partition: number; timestamp: number }): Promise<TableRow | undefined> {
    const scope = this.spec.global ? -1 : at.partition;
    await this.readUpTo(scope, at.timestamp + this.spec.graceMs);
    return this.tables.get(this.spec.global ? -1 : at.partition)?.asOf(key, at.timestamp);
  }

  /** Makes sure a read of the table to its end began at or after `time` (waiting for it to come). */
  private async readUpTo(scope: number, time: number): Promise<void> {
    const last = this.catchUps.get(scope);
    if (last && last.startedAt >= time) return last.done;
    const wait = time - this.clock();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const again = this.catchUps.get(scope);
    if (again && again !== last && again.startedAt >= time) return again.done;
    const startedAt = this.clock();
    const done = this.follower!.catchUp(this.spec.catchUpTimeoutMs, scope < 0 ? undefined : [scope]);
    const entry = { startedAt, done };
    this.catchUps.set(scope, entry);
    done.catch(() => {
      if (this.catchUps.get(scope) === entry) this.catchUps.delete(scope);
    });
    return done;
  }

  private async applyRecord(record: TableTopicRecord): Promise<void> {
    if (record.key === null) return;
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
      this.skipped += 1;
      this.parts.logger.warn(
        { err: error, table: this.spec.topic, partition: record.partition, offset: String(record.offset) },
        `${this.spec.label}: a record of the table topic does not decode; it is left out of the table`,
      );
      return;
    }
    const scope = this.spec.global ? -1 : record.partition;
    let table = this.tables.get(scope);
    if (!table) {
      table = new VersionedTable();
      this.tables.set(scope, table);
    }
    table.put(key, record.timestamp, row);
  }

  /** Table records left out because they did not decode. */
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
  }
}
