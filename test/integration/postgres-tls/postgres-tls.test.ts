import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Client } from 'pg';
import { type ConnectorApp, createConnectorApp, type RunningConnector } from '@sluice/connect';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { sinkPostgresConnector } from '@sluice/sink-postgres';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { TlsPostgres } from './postgres-tls-harness';

/**
 * Postgres over TLS end to end: source-postgres (its query and replication connections) → Kafka →
 * sink-postgres, both with `ssl.mode: verify-full` and the CA `sluice stack up --tls` generated,
 * against a Postgres of the suite's own; and a CA that did not sign the server refused once, with
 * an error naming TLS and the setting to fix, not retried.
 */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function statusOf<T>(app: ConnectorApp): Promise<T> {
  const response = await fetch(`${app.url}/status`);
  return (await response.json()) as T;
}

interface SourceStatusBody {
  phase: string;
  lastError?: { message: string; retriable: boolean };
}
interface SinkStatusBody {
  phase: string;
  lastError?: string;
}

describe('Postgres over TLS: source → Kafka → sink with verify-full', () => {
  let pg: TlsPostgres;
  let sourceDb: Client;
  let sinkDb: Client;
  const name = uniqueName('pgtls')
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const topic = `${name}.${name}.orders`;
  const apps: ConnectorApp[] = [];
  const stack = stackAddresses();

  const start = async <R extends RunningConnector>(
    definition: typeof sourcePostgresConnector | typeof sinkPostgresConnector,
    config: unknown,
  ): Promise<ConnectorApp<R>> => {
    const app = await createConnectorApp<R>(definition, definition.configSchema.parse(config), {
      baseDir: pg.home,
    });
    apps.push(app);
    return app;
  };

  const sourceConfig = (ca: string, suffix = '') => ({
    topicPrefix: name,
    postgres: { ...pg.connection('source'), ssl: { mode: 'verify-full', ca } },
    slot: { name: `${name}${suffix}`, dropOnStop: true },
    publication: { name: `${name}${suffix}` },
    tables: { include: [`${name}.*`] },
    heartbeat: { intervalMs: 1000 },
    topics: { partitions: 1, replicationFactor: 1 },
    restart: { initialDelayMs: 200, maxDelayMs: 1000 },
    kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-pg-tls' },
    registry: { url: stack.registryUrl },
    http: { host: '127.0.0.1', port: 0 },
    logging: { level: 'fatal' },
  });

  const sinkConfig = (ca: string, group: string) => ({
    group,
    topics: [topic],
    target: {
      ...pg.connection('sink'),
      schema: name,
      bookkeepingSchema: name,
      ssl: { mode: 'verify-full', ca },
    },
    runtime: {
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      revokeTimeoutMs: 2000,
      shutdownTimeoutMs: 5000,
    },
    kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-it-pg-tls' },
    registry: { url: stack.registryUrl },
    http: { host: '127.0.0.1', port: 0 },
    logging: { level: 'fatal' },
  });

  before(async () => {
    pg = await TlsPostgres.start();
    sourceDb = await pg.client('source');
    sinkDb = await pg.client('sink');
    await sourceDb.query(`CREATE SCHEMA ${name}`);
    await sourceDb.query(`CREATE TABLE ${name}.orders (id int PRIMARY KEY, note text)`);
    await sourceDb.query(
      `INSERT INTO ${name}.orders SELECT g, 'snapshot ' || g FROM generate_series(1, 3) g`,
    );
    await sinkDb.query(`CREATE SCHEMA ${name}`);
  });

  after(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await sourceDb?.end().catch(() => undefined);
    await sinkDb?.end().catch(() => undefined);
    const admin = createKafkaClient(kafkaConfigSchema.parse({ brokers: stack.kafkaBrokers })).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(name));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await pg?.stop();
  });

  it('the server serves TLS with the stack certificate, and asks for the password', async () => {
    const { rows } = await sourceDb.query<{ ssl: boolean; hba: string }>(
      "SELECT ssl, (SELECT string_agg(DISTINCT auth_method, ',') FROM pg_hba_file_rules) AS hba FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    assert.deepEqual(rows[0], { ssl: true, hba: 'scram-sha-256' });
  });

  it('rows captured over TLS arrive in the sink over TLS, snapshot and stream alike', async () => {
    await start<RunningSource>(sourcePostgresConnector, sourceConfig(pg.caFile));
    await start(sinkPostgresConnector, sinkConfig(pg.caFile, `${name}.sink`));
    await eventually('the source streaming', async () => {
      const { rows } = await sourceDb.query(
        `SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active`,
        [name],
      );
      return rows.length > 0 ? true : undefined;
    });
    await sourceDb.query(`INSERT INTO ${name}.orders VALUES (4, 'streamed 4'), (5, 'streamed 5')`);
    const rows = await eventually(
      'five rows in the sink',
      async () => {
        const result = await sinkDb.query<{ id: number; note: string }>(
          `SELECT id, note FROM ${name}.orders ORDER BY id`,
        );
        return result.rows.length === 5 ? result.rows : undefined;
      },
      90_000,
    );
    assert.deepEqual(
      rows.map((r) => `${r.id}:${r.note}`),
      ['1:snapshot 1', '2:snapshot 2', '3:snapshot 3', '4:streamed 4', '5:streamed 5'],
    );
    // Every session on the server (the source's queries and its walsender, the sink's pool, ours) is TLS.
    const { rows: sessions } = await sourceDb.query<{ backend_type: string; ssl: boolean }>(
      `SELECT a.backend_type, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
        WHERE a.backend_type IN ('client backend', 'walsender')`,
    );
    assert.ok(
      sessions.some((s) => s.backend_type === 'walsender'),
      'the replication connection is there',
    );
    assert.deepEqual(
      sessions.filter((s) => !s.ssl),
      [],
    );
  });

  it('a CA that did not sign the server: the source fails once, naming TLS and postgres.ssl', async () => {
    const app = await start<RunningSource>(
      sourcePostgresConnector,
      sourceConfig(pg.otherCaFile(), '_wrong_ca'),
    );
    const status = await eventually('the source failed', async () => {
      const body = await statusOf<SourceStatusBody>(app);
      return body.phase === 'failed' ? body : undefined;
    });
    assert.equal(status.lastError?.retriable, false);
    assert.match(status.lastError?.message ?? '', /TLS to Postgres failed/);
    assert.match(status.lastError?.message ?? '', /certificate/);
    assert.match(status.lastError?.message ?? '', /postgres\.ssl/);
    // It stays failed: no retries behind it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal((await statusOf<SourceStatusBody>(app)).phase, 'failed');
  });

  it('a CA that did not sign the server: the sink fails once, naming TLS and target.ssl', async () => {
    const app = await start(sinkPostgresConnector, sinkConfig(pg.otherCaFile(), `${name}.sink-wrong-ca`));
    const status = await eventually('the sink failed', async () => {
      const body = await statusOf<SinkStatusBody>(app);
      return body.phase === 'failed' ? body : undefined;
    });
    assert.match(status.lastError ?? '', /TLS to Postgres failed/);
    assert.match(status.lastError ?? '', /certificate/);
    assert.match(status.lastError ?? '', /target\.ssl/);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal((await statusOf<SinkStatusBody>(app)).phase, 'failed');
  });
});
