// The machinery of the Debezium conformance suites: one SourceTestBed (schema, slot, publication,
// topics) captured twice — by the real Debezium Postgres connector (DebeziumPeer: Kafka Connect
// with JsonConverter) and by source-postgres — with every record of both sides read back, brought
// to Connect's terms (debezium-conformance-compare) and compared event by event.
import { type Consumer, type KafkaMessage } from 'kafkajs';
import { type z } from 'zod';
import { ConfluentSchemaRegistryClient, RecordDecoder, unframeRecord } from '@sluice/schema';
import {
  DebeziumPeer,
  firstDelivery,
  parseConnectJson,
  stackAddresses,
  uniqueName,
} from '@sluice/test-support';
import { type sourcePostgresConnector } from '@sluice/postgres-cdc';
import {
  compareShapes,
  compareValues,
  type Difference,
  type Shape,
  shapeOfAvro,
  shapeOfConnect,
} from './debezium-conformance-compare';
import { type SourceTestBed } from './source-postgres-harness';

type SourceOverrides = Partial<z.input<typeof sourcePostgresConnector.configSchema>>;

/** A difference the suite expects, with why. */
export interface KnownDifference {
  /** Over `schema:<table>.<op>.<path>`, `value:<table>.<op>.<path>`, `header:<table>.<op>.<name>`. */
  readonly key: RegExp;
  readonly reason: string;
}

/** A record of either side, schema and value in Connect's terms. */
interface SideRecord {
  offset: number;
  key: unknown;
  keyShape?: Shape;
  value: Record<string, unknown> | null;
  valueShape?: Shape;
  headers: Record<string, string>;
}

export class ConformanceRun {
  private peer: DebeziumPeer | undefined;
  private consumer: Consumer | undefined;
  private readonly records = new Map<string, SideRecord[]>();
  private readonly registryUrl = stackAddresses().registryUrl;
  private readonly decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: this.registryUrl }));
  private readonly avroSchemas = new Map<number, Promise<unknown>>();
  /** The first record that could not be read (it fails the suite rather than stall it). */
  private readError: Error | undefined;

  /** `tables`: names in `bed`'s schema, in the order both sides snapshot them. */
  constructor(
    private readonly bed: SourceTestBed,
    readonly tables: readonly string[],
  ) {}

  private get debeziumPrefix(): string {
    return `${this.bed.name}_dbz`;
  }

  /** A table's topic, or with `@` a topic of the prefix itself (`@transaction`). */
  private debeziumTopic(table: string): string {
    return table.startsWith('@')
      ? `${this.debeziumPrefix}.${table.slice(1)}`
      : `${this.debeziumPrefix}.${this.bed.name}.${table}`;
  }

  private sluiceTopic(table: string): string {
    return table.startsWith('@') ? `${this.bed.name}.${table.slice(1)}` : this.bed.topic(table);
  }

  /**
   * Starts Debezium (with `settings`) and source-postgres (with `overrides`) on the tables, one
   * partition per topic, and reads both sides' topics from the beginning.
   */
  async start(settings: Record<string, string>, overrides: SourceOverrides = {}): Promise<void> {
    const bed = this.bed;
    const tableNames = this.tables.filter((t) => !t.startsWith('@')).map((t) => `${bed.name}.${t}`);
    // A prefix topic (the transaction topic) appears with the first transaction: made beforehand,
    // one partition, so both sides' can be read from the start.
    const prefixTopics = this.tables
      .filter((t) => t.startsWith('@'))
      .flatMap((t) => [this.sluiceTopic(t), this.debeziumTopic(t)]);
    if (prefixTopics.length) {
      const admin = bed.kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: prefixTopics.map((topic) => ({ topic, numPartitions: 1 })) });
      } finally {
        await admin.disconnect();
      }
    }
    const [peer] = await Promise.all([
      DebeziumPeer.start({ name: this.debeziumPrefix, tables: tableNames, settings }),
      bed.startApp({
        tables: { include: tableNames },
        topics: { partitions: 1, replicationFactor: 1 },
        ...overrides,
      }),
    ]);
    this.peer = peer;
    const topics = this.tables.flatMap((t) => [this.sluiceTopic(t), this.debeziumTopic(t)]);
    await bed.waitFor(
      async () => {
        const admin = bed.kafka.admin();
        await admin.connect();
        try {
          const existing = new Set(await admin.listTopics());
          return topics.every((t) => existing.has(t)) || undefined;
        } finally {
          await admin.disconnect();
        }
      },
      90_000,
      "both sides' topics",
    );
    this.consumer = bed.kafka.consumer({ groupId: uniqueName('it-dbz-conformance'), maxWaitTimeInMs: 200 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    const first = firstDelivery();
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (!first(topic, partition, message.offset)) return;
        try {
          await this.keep(topic, message);
        } catch (error) {
          this.readError ??= error as Error;
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.peer?.stop();
  }

  private async keep(topic: string, message: KafkaMessage): Promise<void> {
    const debezium = topic.startsWith(`${this.debeziumPrefix}.`);
    const key = debezium ? this.debeziumSide(message.key) : await this.sluiceSide(message.key);
    const value = debezium ? this.debeziumSide(message.value) : await this.sluiceSide(message.value);
    const list = this.records.get(topic) ?? [];
    list.push({
      offset: Number(message.offset),
      key: key.value,
      keyShape: key.shape,
      value: value.value as Record<string, unknown> | null,
      valueShape: value.shape,
      headers: Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([name, v]) => [name, String(v)]),
      ),
    });
    this.records.set(topic, list);
  }

  private avroSchema(id: number): Promise<unknown> {
    let schema = this.avroSchemas.get(id);
    if (!schema) {
      schema = fetch(`${this.registryUrl}/schemas/ids/${id}`)
        .then((r) => r.json() as Promise<{ schema: string }>)
        .then((body) => JSON.parse(body.schema) as unknown);
      this.avroSchemas.set(id, schema);
    }
    return schema;
  }

  private async sluiceSide(bytes: Buffer | null): Promise<{ value: unknown; shape?: Shape }> {
    if (bytes === null) return { value: null };
    const { schemaId } = unframeRecord(bytes);
    const shape = shapeOfAvro((await this.avroSchema(schemaId)) as never, this.bed.name);
    return { value: structuredClone((await this.decoder.decode(bytes)).value), shape };
  }

  private debeziumSide(bytes: Buffer | null): { value: unknown; shape?: Shape } {
    if (bytes === null) return { value: null };
    const { schema, payload } = parseConnectJson(bytes.toString('utf8'));
    if (schema === null) return { value: payload };
    return { value: payload, shape: shapeOfConnect(schema, this.debeziumPrefix) };
  }

  /** Records of `table` on each side. */
  count(table: string): { sluice: number; debezium: number } {
    return {
      sluice: this.records.get(this.sluiceTopic(table))?.length ?? 0,
      debezium: this.records.get(this.debeziumTopic(table))?.length ?? 0,
    };
  }

  /**
   * Waits until both sides wrote at least `counts` records per table; fails at once when the
   * connector's task failed or a record could not be read, naming the counts and Connect's log.
   */
  async awaitCounts(counts: Record<string, number>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const progress = () =>
      this.tables.map((t) => `${t}: sluice ${this.count(t).sluice}, debezium ${this.count(t).debezium}`);
    for (;;) {
      await this.peer!.assertHealthy();
      if (this.readError) throw this.readError;
      const done = this.tables.every(
        (t) => Math.min(this.count(t).sluice, this.count(t).debezium) >= counts[t]!,
      );
      if (done) return;
      if (Date.now() > deadline)
        throw new Error(
          `${what}: not within ${timeoutMs} ms (${progress().join('; ')})\n${this.peer!.logTail(30)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * The differences not in `known` (each key once, with the first event it was seen in) and the
   * known ones that did not occur.
   */
  check(known: readonly KnownDifference[]): { unknown: Map<string, string>; stale: string[] } {
    const all = this.tables.flatMap((t) => this.differences(t));
    const unknown = new Map<string, string>();
    const seen = new Set<RegExp>();
    for (const difference of all) {
      const match = known.find((k) => k.key.test(difference.key));
      if (match) seen.add(match.key);
      else if (!unknown.has(difference.key)) unknown.set(difference.key, difference.detail);
    }
    return { unknown, stale: known.filter((k) => !seen.has(k.key)).map((k) => String(k.key)) };
  }

  /** Every difference of one table's events, in topic order, paired one to one. */
  private differences(table: string): Difference[] {
    const out: Difference[] = [];
    const ours = this.records.get(this.sluiceTopic(table)) ?? [];
    const theirs = this.records.get(this.debeziumTopic(table)) ?? [];
    if (ours.length !== theirs.length)
      out.push({
        key: `count:${table}`,
        detail: `debezium ${theirs.length} records, sluice ${ours.length}`,
      });
    for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
      const d = theirs[i]!;
      const o = ours[i]!;
      const op =
        (d.value?.op as string | undefined) ?? (d.value?.status as string | undefined) ?? 'tombstone';
      const at = `${table}#${i} (${op})`;
      if (d.keyShape && o.keyShape) compareShapes(d.keyShape, o.keyShape, `${table}.key`, out);
      else if (Boolean(d.keyShape) !== Boolean(o.keyShape))
        out.push({ key: `schema:${table}.key`, detail: `${at}: key schema on one side only` });
      if (d.keyShape && o.keyShape)
        compareValues(d.key, d.keyShape, o.key, o.keyShape, `${table}.${op}.key`, at, out);
      else if (JSON.stringify(d.key) !== JSON.stringify(o.key))
        out.push({
          key: `value:${table}.${op}.key`,
          detail: `${at}: debezium ${JSON.stringify(d.key)}, sluice ${JSON.stringify(o.key)}`,
        });
      for (const header of new Set(
        [...Object.keys(d.headers), ...Object.keys(o.headers)].filter((h) => h.startsWith('__debezium')),
      ))
        if (
          this.headerText(header, d.headers[header], true) !==
          this.headerText(header, o.headers[header], false)
        )
          out.push({
            key: `header:${table}.${op}.${header}`,
            detail: `${at}: debezium ${d.headers[header]}, sluice ${o.headers[header]}`,
          });
      if ((d.value === null) !== (o.value === null)) {
        out.push({ key: `value:${table}.${op}(tombstone)`, detail: `${at}: a tombstone on one side only` });
        continue;
      }
      if (d.value === null || o.value === null) continue;
      if (d.value.op !== o.value.op)
        out.push({
          key: `value:${table}.op`,
          detail: `${at}: debezium ${String(d.value.op)}, sluice ${String(o.value.op)}`,
        });
      const dShape = d.valueShape!;
      const oShape = o.valueShape!;
      // The envelope's schema per event and op (a snapshot read's may differ from a streamed change's).
      compareShapes(dShape, oShape, `${table}.${op}`, out);
      const field = (shape: Shape, name: string) => shape.fields!.find((f) => f.name === name)?.shape;
      // op, ts_* (processing time) aside: the row images and the transaction block, field by field.
      for (const part of ['before', 'after', 'transaction']) {
        const ds = field(dShape, part);
        const os = field(oShape, part);
        if (ds && os) compareValues(d.value[part], ds, o.value[part], os, `${table}.${op}.${part}`, at, out);
      }
      if (field(dShape, 'source') && field(oShape, 'source')) this.compareSource(table, op, at, d, o, out);
      // Not an envelope (the transaction topic's BEGIN and END): the whole value.
      else compareValues(d.value, dShape, o.value, oShape, `${table}.${op}`, at, out);
    }
    return out;
  }

  /**
   * A header as compared: the topic prefix (each side has its own) as a placeholder, a run id
   * (random per start) by its form only.
   */
  private headerText(name: string, value: string | undefined, debezium: boolean): string | undefined {
    if (value === undefined) return undefined;
    if (name === '__debezium.context.connectorLogicalName')
      return value === (debezium ? this.debeziumPrefix : this.bed.name) ? '<prefix>' : value;
    if (name === '__debezium.context.runId')
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value) ? '<uuid>' : value;
    return value;
  }

  /**
   * The source block, field by field. A snapshot read's txId, lsn and times are each side's own
   * snapshot (two slots, two transactions), and `name` is the topic prefix: not compared.
   */
  private compareSource(
    table: string,
    op: string,
    at: string,
    d: SideRecord,
    o: SideRecord,
    out: Difference[],
  ): void {
    const ds = d.value!.source as Record<string, unknown>;
    const os = o.value!.source as Record<string, unknown>;
    const sourceShape = (side: SideRecord) =>
      side.valueShape!.fields!.find((f) => f.name === 'source')!.shape;
    const skip = new Set([
      'name',
      ...(op === 'r' ? ['txId', 'lsn', 'ts_ms', 'ts_us', 'ts_ns', 'sequence', 'xmin'] : []),
    ]);
    for (const f of sourceShape(d).fields!) {
      if (skip.has(f.name)) continue;
      if (f.name === 'sequence' && ds.sequence !== os.sequence && this.ownSlotStart(ds, os)) continue;
      const other = sourceShape(o).fields!.find((g) => g.name === f.name);
      if (!other) continue; // reported with the schema
      compareValues(ds[f.name], f.shape, os[f.name], other.shape, `${table}.${op}.source.${f.name}`, at, out);
    }
  }

  /**
   * The first change streamed after the snapshot has no commit before it on its slot, so its
   * sequence[0] is each side's own (Sluice: its slot's snapshot point; Debezium: that or the
   * change's own LSN, depending on timing): only sequence[1] is compared for it.
   */
  private ownSlotStart(d: Record<string, unknown>, o: Record<string, unknown>): boolean {
    const dThis = (JSON.parse(String(d.sequence)) as string[])[1];
    const oThis = (JSON.parse(String(o.sequence)) as string[])[1];
    return dThis === oThis && Number(d.lsn) === this.firstStreamedLsn();
  }

  private firstStreamedLsn(): number {
    const lsns = this.tables.flatMap((table) =>
      (this.records.get(this.debeziumTopic(table)) ?? [])
        .filter((r) => r.value !== null && r.value.source !== undefined && r.value.op !== 'r')
        .map((r) => Number((r.value!.source as { lsn: unknown }).lsn)),
    );
    return Math.min(...lsns);
  }
}
