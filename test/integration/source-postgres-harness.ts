// Shared by the source-postgres end-to-end suites: a unique Postgres schema, slot, publication and
// topic prefix per suite; the app started in-process (createConnectorApp) or as a child process
// (dist/apps/source-postgres/src/main.js --config); topics consumed and decoded into Debezium
// envelopes; cleanup that never leaves a replication slot, publication or topic behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { Client } from 'pg';
import { type z } from 'zod';
import { type ConnectorApp, createConnectorApp } from '@sluice/connect';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { type RunningSource, type SourceStatus, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { firstDelivery, stackAddresses, uniqueName } from '@sluice/test-support';

export { freePort } from '@sluice/test-support';

/** The source app started in-process; `connector.source` is its PostgresSource. */
export type SourceApp = ConnectorApp<RunningSource>;
type SourceAppConfigInput = z.input<typeof sourcePostgresConnector.configSchema>;

/** A decoded Debezium envelope, as the tests read it. */
export interface Envelope {
  op: 'c' | 'u' | 'd' | 'r' | 't';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown> & { lsn: number | null; txId: number | null; snapshot: string };
  ts_ms: number;
}

/** One Kafka record of a table topic, key and value decoded (value null: a tombstone). */
export interface TopicRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Record<string, unknown> | null;
  value: Envelope | null;
  /** The record's headers as UTF-8 text. */
  headers: Record<string, string>;
}

const ROOT = join(__dirname, '..', '..');
export const MAIN_JS = join(ROOT, 'apps', 'source-postgres', 'src', 'main.js');
/** The `sluice` command of this checkout. */
export const SLUICE_BIN = join(ROOT, '..', 'bin', 'sluice.js');

export class SourceTestBed {
  readonly kafka: Kafka;
  readonly decoder: RecordDecoder;
  private readonly consumers: Consumer[] = [];
  private readonly apps: SourceApp[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly extraSlots: string[] = [];
  private admin: Admin | undefined;

  private constructor(
    readonly pg: Client,
    /** Postgres schema, slot, publication and topic prefix of this suite (one unique name). */
    readonly name: string,
    /** The Kafka brokers of the suite: the shared stack's unless it runs a private broker. */
    readonly brokers: string[] = stackAddresses().kafkaBrokers,
  ) {
    this.kafka = createKafkaClient(kafkaConfigSchema.parse({ brokers, clientId: 'sluice-it-source' }));
    this.decoder = new RecordDecoder(
      new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
    );
  }

  /** `brokers`: a private broker (the suite stops it); the apps' configuration points there too. */
  static async open(prefix: string, brokers?: string[]): Promise<SourceTestBed> {
    const pg = new Client({ ...stackAddresses().postgres, database: 'source' });
    await pg.connect();
    const bed = new SourceTestBed(
      pg,
      uniqueName(prefix)
        .replace(/[^a-z0-9_]/g, '_')
        .slice(0, 40),
      brokers,
    );
    await pg.query(`CREATE SCHEMA ${bed.name}`);
    return bed;
  }

  get slot(): string {
    return this.name;
  }

  /** `<schema>.<table>` of this suite. */
  table(table: string): string {
    return `${this.name}.${table}`;
  }

  topic(table: string): string {
    return `${this.name}.${this.name}.${table}`;
  }

  async sql<R extends object = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<R[]> {
    return (await this.pg.query<R>(text, params)).rows;
  }

  /** A fresh client on the source database (the caller ends it): a writer of its own. */
  async client(): Promise<Client> {
    const client = new Client({ ...stackAddresses().postgres, database: 'source' });
    await client.connect();
    return client;
  }

  /** The app's configuration for this suite: its schema's tables, its slot and publication. */
  config(overrides: Partial<SourceAppConfigInput> = {}): SourceAppConfigInput {
    const stack = stackAddresses();
    return {
      topicPrefix: this.name,
      postgres: { ...stack.postgres, database: 'source' },
      slot: { name: this.slot },
      publication: { name: this.name },
      tables: { include: [`${this.name}.*`] },
      heartbeat: { intervalMs: 1000 },
      topics: { partitions: 3, replicationFactor: 1 },
      restart: { initialDelayMs: 200, maxDelayMs: 2000 },
      kafka: { brokers: this.brokers, clientId: 'sluice-it-source' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port: 0 },
      logging: { level: 'error' },
      ...overrides,
    };
  }

  async startApp(overrides: Partial<SourceAppConfigInput> = {}): Promise<SourceApp> {
    const app = await createConnectorApp<RunningSource>(
      sourcePostgresConnector,
      sourcePostgresConnector.configSchema.parse(this.config(overrides)),
    );
    this.apps.push(app);
    return app;
  }

  /** Stops an app started here (again: nothing). */
  async stopApp(app: SourceApp): Promise<void> {
    const at = this.apps.indexOf(app);
    if (at < 0) return;
    this.apps.splice(at, 1);
    await app.close();
  }

  /** Writes `config` (YAML is a superset of JSON) to a temporary file. */
  configFile(config: unknown): string {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-source-it-')), 'source.yaml');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    return file;
  }

  /** Spawns main.js with `--config file`; stdout/stderr collected in `output`. */
  spawnMain(file: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [MAIN_JS, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  }

  /** Ends a child for good, the hard way (kill -9) unless `signal` says otherwise. */
  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await gone;
  }

  /** A slot created by the test itself (not the source's), dropped at cleanup. */
  trackSlot(slot: string): void {
    this.extraSlots.push(slot);
  }

  /** Reads every record of `topics` from the beginning into `records`, as they arrive. */
  async consume(topics: string[]): Promise<TopicReader> {
    await this.waitFor(async () => {
      const admin = await this.kafkaAdmin();
      const existing = new Set(await admin.listTopics());
      return topics.every((t) => existing.has(t)) || undefined;
    }, 60_000);
    const consumer = this.kafka.consumer({ groupId: uniqueName('it-source-reader'), maxWaitTimeInMs: 200 });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    const reader = new TopicReader(this);
    const first = firstDelivery();
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (!first(topic, partition, message.offset)) return;
        reader.records.push({
          topic,
          partition,
          offset: Number(message.offset),
          // structuredClone: plain objects (avsc decodes into record classes), for deepEqual.
          key: message.key
            ? (structuredClone((await this.decoder.decode(message.key)).value) as Record<string, unknown>)
            : null,
          value: message.value
            ? (structuredClone((await this.decoder.decode(message.value)).value) as Envelope)
            : null,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, v]) => [name, String(v)]),
          ),
        });
      },
    });
    return reader;
  }

  async waitFor<T>(
    probe: () => Promise<T | undefined | false>,
    timeoutMs = 30_000,
    what = 'condition',
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline)
        throw new Error(
          `waitFor ${what}: not met within ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ''}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Polls GET /status until `accept` says yes; returns that status. */
  async waitForStatus(
    url: string,
    accept: (status: SourceStatus) => boolean,
    timeoutMs = 60_000,
  ): Promise<SourceStatus> {
    let last: SourceStatus | undefined;
    return this.waitFor(
      async () => {
        last = await getStatus(url);
        return accept(last) ? last : undefined;
      },
      timeoutMs,
      `status (last: ${JSON.stringify(last)})`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last status ${JSON.stringify(last)}`);
    });
  }

  /**
   * Drops `slot` once no backend holds it: a stopped source's walsender can still hold it for a
   * moment (dropping then fails with "is active for PID"); one still holding it is terminated.
   */
  async dropSlot(slot: string): Promise<void> {
    await this.waitFor(async () => {
      const [row] = await this.sql<{ active_pid: number | null }>(
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      if (row === undefined) return true;
      if (row.active_pid !== null) await this.sql('SELECT pg_terminate_backend($1)', [row.active_pid]);
      else await this.sql('SELECT pg_drop_replication_slot($1)', [slot]);
      return undefined;
    }, 15_000);
  }

  async cleanup(): Promise<void> {
    for (const consumer of this.consumers) await consumer.disconnect().catch(() => undefined);
    for (const app of this.apps) await app.close().catch(() => undefined);
    for (const child of this.children) await this.kill(child).catch(() => undefined);
    for (const slot of [this.slot, `${this.slot}_snapshot`, ...this.extraSlots]) {
      await this.dropSlot(slot).catch(() => undefined);
    }
    await this.sql(`DROP PUBLICATION IF EXISTS ${this.name}`).catch(() => undefined);
    await this.sql(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`).catch(() => undefined);
    const admin = await this.kafkaAdmin().catch(() => undefined);
    if (admin) {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${this.name}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
    }
    await this.pg.end();
  }

  private async kafkaAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}

/** Records read so far from a set of topics, in arrival order (per partition: offset order). */
export class TopicReader {
  readonly records: TopicRecord[] = [];

  constructor(private readonly bed: SourceTestBed) {}

  /** Waits until `accept(records)` holds. */
  async until(accept: (records: TopicRecord[]) => boolean, timeoutMs = 60_000): Promise<TopicRecord[]> {
    return this.bed
      .waitFor(async () => accept(this.records) || undefined, timeoutMs, 'records')
      .then(() => this.records)
      .catch((error: Error) => {
        throw new Error(`${error.message}; ${this.records.length} records read`);
      });
  }

  /** Records of `topic` in offset order per partition, partitions one after the other. */
  of(topic: string): TopicRecord[] {
    return this.records
      .filter((r) => r.topic === topic)
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }
}

/** A TCP port nobody listens on right now (for a child's management API, or a dead address). */
export async function getStatus(url: string): Promise<SourceStatus> {
  const response = await fetch(`${url}/status`);
  return (await response.json()) as SourceStatus;
}

/** A JSON answer as the tests read it. */
export type ResponseBody = { message?: string; phase?: string; heldTables?: unknown[] } & Record<
  string,
  unknown
>;

export async function post(url: string, body?: unknown): Promise<{ status: number; body: ResponseBody }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: ResponseBody = { message: text };
  try {
    parsed = JSON.parse(text) as ResponseBody;
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

/** A JSON key string for maps keyed by a Kafka key record. */
export function keyOf(record: TopicRecord): string {
  return JSON.stringify(record.key);
}
