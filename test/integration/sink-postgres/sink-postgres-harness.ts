// Shared by the sink-postgres suites: a source table captured by the real source-postgres app (a
// child process), the sink as a child process (dist/apps/sink-postgres/src/main.js --config) writing
// into a unique schema of the `sink` database, and column-by-column comparison of source and replica.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { type SinkPostgresConfigInput } from '@sluice/sink-postgres';
import { stackAddresses } from '@sluice/test-support';
import { freePort, MAIN_JS as SOURCE_MAIN_JS, SourceTestBed } from '../source-postgres-harness';

const ROOT = join(__dirname, '..', '..', '..');
export const SINK_MAIN_JS = join(ROOT, 'apps', 'sink-postgres', 'src', 'main.js');

export interface SpawnedApp {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** The status the sink answers (counters the suites read). */
export interface SinkStatusBody {
  phase: string;
  partitions: Array<{ topic: string; partition: number; committedOffset?: string; lag?: string }>;
  rowsUpserted: number;
  rowsDeleted: number;
  conflicts: number;
  batchesCommitted: number;
  recordsDeadLettered: number;
  lastError?: string;
}

/** The broad-typed table of the replica suites (every type round-trips to equal text). */
export const ITEMS_DDL = (schema: string) => `
  CREATE TYPE ${schema}.mood AS ENUM ('happy', 'sad', 'ok');
  CREATE TABLE ${schema}.items (
    id bigint PRIMARY KEY, small smallint, num integer, big bigint, price numeric(12,3), ratio numeric,
    real_v real, dbl double precision, flag boolean, name text, code varchar(20), raw bytea, uid uuid,
    doc jsonb, d date, t time, t3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, ttz timetz,
    dur interval, tags text[], nums integer[], bits bit(8), mood ${schema}.mood);
  ALTER TABLE ${schema}.items REPLICA IDENTITY FULL;`;

/** A row expression for `items` from an integer expression `n` (values vary with n). */
export const ITEMS_VALUES = (n: string, schema: string) => `
  ${n}, (${n} % 32000)::smallint, ${n}::int * 7, ${n}::bigint * 1000000007, (${n} * 1.125)::numeric(12,3),
  (${n} / 7.0)::numeric(20,6), (${n} / 3.0)::real, ${n} / 7.0::float8, ${n} % 2 = 0, 'name ' || ${n} || ' "q" \\',
  'c' || (${n} % 1000), decode(md5(${n}::text), 'hex'), md5(${n}::text)::uuid,
  jsonb_build_object('n', ${n}, 'tags', jsonb_build_array('a', ${n} % 5), 'nested', jsonb_build_object('x', null)),
  date '2000-01-01' + ((${n} % 20000)::int - 7000), time '00:00:00' + make_interval(secs => (${n} % 86400) + 0.123456),
  time '12:00:00.5' + make_interval(secs => ${n} % 1000), timestamp '1990-01-01' + make_interval(secs => ${n} * 1000.000001),
  timestamp '2020-02-29 10:00:00.123' + make_interval(days => (${n} % 400)::int),
  timestamptz '2021-06-01 00:00:00+00' + make_interval(secs => ${n} * 61.5),
  (time '08:00:00' + make_interval(secs => ${n} % 3600))::timetz, make_interval(days => (${n} % 30)::int, secs => ${n} % 5000),
  ARRAY['a' || ${n}, NULL, 'q"uote', 'back\\slash', ''], ARRAY[${n}::int, NULL, -${n}::int],
  (${n} % 256)::bit(8), (ARRAY['happy','sad','ok'])[1 + ${n} % 3]::${schema}.mood`;

/** Every column of `items` as comparable text (intervals by their length; numerics scale-trimmed). */
export const ITEMS_COMPARE = `id, row_to_json(x)::text AS row FROM (SELECT id, small, num, big, price, trim_scale(ratio) AS ratio,
  real_v, dbl, flag, name, code, raw, uid, doc, d, t, t3, ts, ts3, tstz, ttz, extract(epoch FROM dur) AS dur, tags, nums,
  bits::text AS bits, mood::text AS mood FROM %TABLE%) x`;

export class SinkTestBed {
  private readonly children: ChildProcess[] = [];

  private constructor(
    readonly source: SourceTestBed,
    /** The sink database client. */
    readonly sink: Client,
  ) {}

  static async open(prefix: string): Promise<SinkTestBed> {
    const source = await SourceTestBed.open(prefix);
    const sink = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await sink.connect();
    await sink.query(`CREATE SCHEMA ${source.name}`);
    return new SinkTestBed(source, sink);
  }

  /** Postgres schema (in both databases), topic prefix and group stem of this suite. */
  get name(): string {
    return this.source.name;
  }

  async sinkSql<R extends object = Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
  ): Promise<R[]> {
    return (await this.sink.query<R>(text, params)).rows;
  }

  sinkConfig(overrides: Partial<SinkPostgresConfigInput> = {}): SinkPostgresConfigInput {
    const stack = stackAddresses();
    return {
      group: `${this.name}.sink`,
      topics: [this.source.topic('items')],
      target: { ...stack.postgres, database: 'sink', schema: this.name, bookkeepingSchema: this.name },
      runtime: {
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1000,
        revokeTimeoutMs: 2000,
        shutdownTimeoutMs: 8000,
      },
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-sink' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port: 0 },
      logging: { level: 'info' },
      ...overrides,
    };
  }

  /** Starts the source app as a child process on this suite's schema. */
  async spawnSource(): Promise<SpawnedApp> {
    const port = await freePort();
    // The default delivery (exactly once): the sink's commits move past the commit markers, so the
    // suites' "lag reaches 0" holds on a transactional topic.
    const config = this.source.config({ http: { host: '127.0.0.1', port } });
    return this.spawn(SOURCE_MAIN_JS, config, port);
  }

  /** Starts the sink as a child process with `config` (YAML or an object). */
  async spawnSink(config: unknown = this.sinkConfig()): Promise<SpawnedApp> {
    const port = await freePort();
    const withPort =
      typeof config === 'object' && config !== null
        ? {
            ...(config as object),
            http: { ...(config as { http?: object }).http, host: '127.0.0.1', port },
          }
        : config;
    return this.spawn(SINK_MAIN_JS, withPort, port);
  }

  private spawn(main: string, config: unknown, port: number): SpawnedApp {
    const file = this.source.configFile(config);
    const child = spawn(process.execPath, [main, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
  }

  /** Waits until the source created `topics` (its first events), so a sink can subscribe. */
  async waitForTopics(topics: readonly string[]): Promise<void> {
    const admin = this.source.kafka.admin();
    await admin.connect();
    try {
      await this.source.waitFor(
        async () => {
          const existing = new Set(await admin.listTopics());
          return topics.every((t) => existing.has(t)) || undefined;
        },
        60_000,
        `topics ${topics.join(', ')}`,
      );
    } finally {
      await admin.disconnect();
    }
  }

  async status(app: SpawnedApp): Promise<SinkStatusBody> {
    return (await (await fetch(`${app.url}/status`)).json()) as SinkStatusBody;
  }

  async waitForStatus(
    app: SpawnedApp,
    accept: (s: SinkStatusBody) => boolean,
    timeoutMs = 60_000,
  ): Promise<SinkStatusBody> {
    let last: SinkStatusBody | undefined;
    return this.source
      .waitFor(
        async () => {
          if (app.child.exitCode !== null || app.child.signalCode !== null)
            throw new Error(`sink exited (${app.child.exitCode ?? app.child.signalCode}): ${app.output()}`);
          last = await this.status(app);
          return accept(last) ? last : undefined;
        },
        timeoutMs,
        'sink status',
      )
      .catch((error: Error) => {
        throw new Error(
          `${error.message}; last ${JSON.stringify(last)}; output ${app.output().slice(-2000)}`,
        );
      });
  }

  /** Source and replica rows of `items`, each as comparable text, ordered by id. */
  async rows(): Promise<{ source: string[]; replica: string[] }> {
    const q = (table: string) => `SELECT ${ITEMS_COMPARE.replace('%TABLE%', table)} ORDER BY id`;
    const source = (await this.source.sql<{ row: string }>(q(this.source.table('items')))).map((r) => r.row);
    const replica = (await this.sinkSql<{ row: string }>(q(`${this.name}.items`))).map((r) => r.row);
    return { source, replica };
  }

  /** Waits until the replica equals the source, column for column. */
  async untilReplicaEqual(timeoutMs = 120_000): Promise<number> {
    let last = { source: 0, replica: 0, firstDiff: '' };
    return this.source
      .waitFor(
        async () => {
          const { source, replica } = await this.rows();
          const diff = source.findIndex((r, i) => r !== replica[i]);
          last = {
            source: source.length,
            replica: replica.length,
            firstDiff: diff >= 0 ? `${source[diff]} vs ${replica[diff]}` : '',
          };
          return source.length === replica.length && diff < 0 ? source.length : undefined;
        },
        timeoutMs,
        'replica equal to source',
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}; ${JSON.stringify(last)}`);
      });
  }

  async kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.source.kill(child, signal);
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) await this.kill(child).catch(() => undefined);
    await this.sink.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`).catch(() => undefined);
    await this.sink.end();
    await this.source.cleanup();
  }
}
