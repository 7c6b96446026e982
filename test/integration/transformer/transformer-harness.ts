// Shared setup of the transformer suites: Debezium-shaped Avro change events of an `orders` table
// (written with RecordEncoder, as source-postgres writes them), a pipeline file with unwrap + mask +
// route, a configuration for the app, and reading output topics back decoded (read_committed), either
// until enough records arrived or, for suites that count their output, whole to the end offsets.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import { type Admin, type IHeaders, type Kafka } from 'kafkajs';
import { createKafkaClient, createProducer, kafkaConfigSchema, type KafkaConfig } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder, RecordEncoder } from '@sluice/schema';
import { readCommitted, stackAddresses } from '@sluice/test-support';

export { freePort } from '@sluice/test-support';

export const kafkaConfig: KafkaConfig = kafkaConfigSchema.parse({
  brokers: stackAddresses().kafkaBrokers,
  clientId: 'sluice-it-transformer',
  logLevel: 'nothing',
});

export const registry = new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl });

const row = (extra: object[] = []) => ({
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'region', type: ['null', 'string'], default: null },
    { name: 'total', type: 'double' },
    ...extra,
  ],
});

/** The envelope of `<ns>.orders` change events; `evolved` adds a nullable `note` column (v2). */
export function envelopeSchema(namespace: string, evolved = false): string {
  return JSON.stringify({
    type: 'record',
    name: 'Envelope',
    namespace,
    fields: [
      {
        name: 'before',
        type: ['null', row(evolved ? [{ name: 'note', type: ['null', 'string'], default: null }] : [])],
        default: null,
      },
      { name: 'after', type: ['null', 'Value'], default: null },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          namespace: 'io.debezium.connector.postgresql',
          fields: [
            { name: 'version', type: 'string' },
            { name: 'connector', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'ts_ms', type: 'long' },
            { name: 'db', type: 'string' },
            { name: 'schema', type: 'string' },
            { name: 'table', type: 'string' },
            { name: 'lsn', type: ['null', 'long'], default: null },
          ],
        },
      },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
    ],
  });
}

export function keySchema(namespace: string): string {
  return JSON.stringify({ type: 'record', name: 'Key', namespace, fields: [{ name: 'id', type: 'long' }] });
}

export interface OrderRow {
  id: number;
  email: string | null;
  region: string | null;
  total: number;
  note?: string | null;
}

export const REGIONS = ['eu', 'us', 'ca', 'apac'];

export function orderRow(i: number): OrderRow {
  return { id: i, email: `user${i}@example.com`, region: REGIONS[i % REGIONS.length]!, total: i / 2 };
}

export function changeEvent(r: OrderRow, op = 'c'): Record<string, unknown> {
  return {
    before: null,
    after: r,
    source: {
      version: '2.7.0',
      connector: 'postgresql',
      name: 'sluice',
      ts_ms: 1_700_000_000_000 + r.id,
      db: 'source',
      schema: 'public',
      table: 'orders',
      lsn: 1000 + r.id,
    },
    op,
    ts_ms: 1_700_000_000_500 + r.id,
  };
}

/** Produces Avro change events (key {id}, value envelope) to `topic`, in chunks. */
export class ChangeEventWriter {
  private readonly encoder = new RecordEncoder(registry);

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly namespace: string,
  ) {}

  async encode(r: OrderRow, evolved = false): Promise<{ key: Buffer; value: Buffer }> {
    return {
      key: await this.encoder.encode(`${this.topic}-key`, keySchema(this.namespace), { id: r.id }),
      value: await this.encoder.encode(
        `${this.topic}-value`,
        envelopeSchema(this.namespace, evolved),
        changeEvent(evolved ? { ...r, note: r.note ?? null } : r),
      ),
    };
  }

  async write(
    records: ReadonlyArray<{ key: Buffer | string | null; value: Buffer | string | null }>,
    chunk = 2000,
  ): Promise<void> {
    const producer = createProducer(this.kafka);
    await producer.connect();
    try {
      for (let i = 0; i < records.length; i += chunk)
        await producer.send({ topic: this.topic, messages: records.slice(i, i + chunk) });
    } finally {
      await producer.disconnect();
    }
  }
}

/** A pipeline file: unwrap (+ op), mask email (hash), route eu / us+ca, the rest to `other`. */
export function writePipeline(opts: {
  name: string;
  input: string;
  other: string;
  eu: string;
  na: string;
  group: string;
  mode?: 'exactly-once' | 'at-least-once';
}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-transformer-'));
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(
    file,
    [
      `name: ${opts.name}`,
      `from: { topics: [${opts.input}] }`,
      `to: ${opts.other}`,
      `groupId: ${opts.group}`,
      `mode: ${opts.mode ?? 'exactly-once'}`,
      'onKeyFailure: skip',
      'retry: { maxAttempts: 3, initialDelayMs: 50 }',
      'steps:',
      '  - unwrap: { addFields: [op] }',
      '  - mask: { fields: [email], with: hash, key: it-key-0123456789abcdef }',
      '  - route:',
      '      cases:',
      `        - { when: "region == 'eu'", topic: ${opts.eu} }`,
      `        - { when: "region in ['us', 'ca']", topic: ${opts.na} }`,
      '',
    ].join('\n'),
  );
  return file;
}

/** The app's configuration (as YAML/JSON) for the local stack; `extra` replaces whole sections. */
export function appConfig(pipeline: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pipeline,
    kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-transformer', logLevel: 'nothing' },
    registry: { url: stackAddresses().registryUrl },
    http: { host: '127.0.0.1', port: 0 },
    logging: { level: 'warn' },
    runtime: {
      concurrency: { partitions: 4, keysPerPartition: 8 },
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      revokeTimeoutMs: 2_000,
    },
    ...extra,
  };
}

export interface DecodedOutput {
  readonly topic: string;
  readonly partition: number;
  readonly key: unknown;
  readonly value: Record<string, unknown> | null;
  readonly valueSchemaId: number | null;
  readonly headers: Record<string, string>;
}

interface RawOutput {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Each header's last value, as text. */
function headerText(raw: IHeaders | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {}))
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[v.length - 1] : v).toString();
  return headers;
}

async function decodeAll(raw: readonly RawOutput[]): Promise<DecodedOutput[]> {
  const decoder = new RecordDecoder(registry);
  const out: DecodedOutput[] = [];
  for (const r of raw) {
    const value = r.value ? await decoder.decode<Record<string, unknown>>(r.value) : null;
    out.push({
      topic: r.topic,
      partition: r.partition,
      key: r.key && r.key[0] === 0 ? (await decoder.decode(r.key)).value : r.key?.toString(),
      value: value?.value ?? null,
      valueSchemaId: value?.schemaId ?? null,
      headers: r.headers,
    });
  }
  return out;
}

/** Reads `topics` from the beginning (read_committed) until `count` records or `timeoutMs`, decoded. */
export async function readDecoded(
  kafka: Kafka,
  topics: readonly string[],
  count: number,
  group: string,
  timeoutMs = 60_000,
): Promise<DecodedOutput[]> {
  const raw: RawOutput[] = [];
  // Output topics appear when the first record goes to them.
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const existing = new Set(await admin.listTopics());
      if (topics.every((t) => existing.has(t))) break;
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} never appeared`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId: group, readUncommitted: false });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            raw.push({
              topic: batch.topic,
              partition: batch.partition,
              key: m.key,
              value: m.value,
              headers: headerText(m.headers),
            });
          }
          if (raw.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return decodeAll(raw);
}

/**
 * Every committed record of `topics` up to their end offsets (read_committed), decoded, topic by
 * topic and partition by partition in offset order. Counting suites read with this once the app is
 * done, so a duplicate anywhere is counted.
 */
export async function readAllDecoded(kafka: Kafka, topics: readonly string[]): Promise<DecodedOutput[]> {
  const raw: RawOutput[] = [];
  for (const topic of topics) {
    for (const records of (await readCommitted(kafka, topic)).values()) {
      for (const r of records) raw.push({ ...r, headers: headerText(r.headers) });
    }
  }
  return decodeAll(raw);
}

export { createKafkaClient };

/** A free TCP port for the app's HTTP endpoint. */
/** Starts `node main.js` of the transformer with `config` written to a file beside the pipeline. */
export function startTransformer(config: Record<string, unknown>): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-transformer-app-'));
  const file = join(dir, 'transformer.yaml');
  writeFileSync(file, JSON.stringify(config));
  return spawn(process.execPath, [TRANSFORMER_MAIN], {
    env: appProcessEnv({ ...process.env, SLUICE_CONFIG: file }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export const TRANSFORMER_MAIN = join(__dirname, '..', '..', '..', 'apps', 'transformer', 'src', 'main.js');

/** Polls `url` until it answers 200. */
export async function untilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until `group` is stable with `n` members holding partitions: a rebalance completed, and a
 * process that joined has its shutdown hooks installed (a SIGTERM before that kills it outright).
 */
export async function untilGroupMembers(
  admin: Admin,
  group: string,
  n: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [described] = (await admin.describeGroups([group])).groups;
    const assigned = (described?.members ?? []).filter((m) => m.memberAssignment.length > 0);
    if (described?.state === 'Stable' && assigned.length === n) return;
    if (Date.now() > deadline)
      throw new Error(
        `${group} has not ${n} members after ${timeoutMs} ms: ${described?.state}, ${assigned.length}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until every partition of `topic` has a leader, so the first produce is not refused. */
export async function untilLeaders(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
    const partitions = topics[0]?.partitions ?? [];
    if (partitions.length > 0 && partitions.every((p) => p.leader >= 0)) return;
    if (Date.now() > deadline) throw new Error(`${topic} has no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
