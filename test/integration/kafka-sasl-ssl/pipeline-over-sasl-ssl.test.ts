// Source → transformer (exactly-once) → sink-postgres over a SASL_SSL listener (SCRAM-SHA-512, the
// broker's certificate checked against the stack's CA) of a private broker started with the local
// stack's --tls; PLAIN over the same listener; and the two refusals an operator meets first, each one
// clear error and no retry loop: a wrong password, and a broker certificate from an untrusted CA.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { makeCertificateAuthority } from '@sluice/stack';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { SourceTestBed } from '../source-postgres-harness';
import { writePipeline } from '../transformer/transformer-harness';
import {
  eventually,
  freePort,
  type RunningApp,
  SINK_POSTGRES_MAIN,
  SOURCE_MAIN,
  startApp,
  statusOf,
  TRANSFORMER_MAIN,
} from '../observability/observability-harness';
import { privateSaslSslKafka, type SaslSslKafka, saslSslKafkaConfig } from './sasl-ssl-harness';

interface LogLine {
  level?: number | string;
  logger?: string;
  msg?: string;
  message?: string;
  err?: { message?: string };
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return {};
      }
    });
}

/** The app's own error lines (pino level 50+), not kafkajs's. */
const appErrors = (output: string) =>
  logLines(output).filter((l) => typeof l.level === 'number' && l.level >= 50);
const kafkajsLines = (output: string, pattern: RegExp) =>
  logLines(output).filter((l) => l.logger === 'kafkajs' && pattern.test(l.message ?? ''));

async function exited(app: RunningApp, timeoutMs: number): Promise<number | null> {
  return eventually(
    'the app exits',
    async () => (app.child.exitCode !== null ? app.child.exitCode : undefined),
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; its output:\n${app.output().slice(-4000)}`);
  });
}

describe('Kafka over SASL_SSL (SCRAM-SHA-512 and PLAIN, TLS checked against the CA)', () => {
  let kafka: SaslSslKafka;
  let bed: SourceTestBed;
  const apps: RunningApp[] = [];
  let topic = '';
  let sinkTable = '';
  const group = uniqueName('it.saslssl.transformer');
  const sinkGroup = uniqueName('it.saslssl.sink');

  before(async () => {
    [kafka, bed] = await Promise.all([privateSaslSslKafka(), SourceTestBed.open('it_saslssl')]);
    topic = `${bed.name}.${bed.name}.orders`;
    sinkTable = `${bed.name}_orders_eu`;
    await bed.sql(`CREATE TABLE ${bed.name}.orders (id int PRIMARY KEY, region text NOT NULL, email text)`);
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    const sinkDb = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await sinkDb.connect().then(
      () => sinkDb.query(`DROP TABLE IF EXISTS public.${sinkTable}`).finally(() => sinkDb.end()),
      () => undefined,
    );
    await bed?.cleanup();
    await kafka?.stop();
  });

  function start(main: string, config: Record<string, unknown>): RunningApp {
    const app = startApp(main, { logging: { level: 'warn' }, ...config });
    apps.push(app);
    return app;
  }

  it('source → transformer (exactly-once) → sink-postgres run over SASL_SSL with SCRAM-SHA-512', async () => {
    const admin = createKafkaClient(
      kafkaConfigSchema.parse({
        ...saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-admin'),
        logLevel: 'nothing',
      }),
    ).admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: topic, partitions: 2, replicationFactor: 1 },
      { name: `${topic}.eu`, partitions: 2, replicationFactor: 1 },
    ]);
    await admin.disconnect();

    const [sourcePort, transformerPort, sinkPort] = [await freePort(), await freePort(), await freePort()];
    const runtime = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 };
    start(
      SOURCE_MAIN,
      bed.config({
        kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-source'),
        http: { host: '127.0.0.1', port: sourcePort },
        logging: { level: 'warn' },
      }) as Record<string, unknown>,
    );
    start(TRANSFORMER_MAIN, {
      pipeline: writePipeline({
        name: bed.name.replace(/_/g, '-'),
        input: topic,
        group,
        eu: `${topic}.eu`,
        na: `${topic}.na`,
        other: `${topic}.other`,
        mode: 'exactly-once',
      }),
      kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-transformer'),
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: transformerPort },
      runtime,
    });
    start(SINK_POSTGRES_MAIN, {
      group: sinkGroup,
      topics: [`${topic}.eu`],
      target: { ...stackAddresses().postgres, database: 'sink', schema: 'public' },
      tables: { [`${topic}.eu`]: { table: `public.${sinkTable}` } },
      kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-sink'),
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: sinkPort },
      runtime,
    });
    for (const [name, port] of [
      ['source-postgres', sourcePort],
      ['transformer', transformerPort],
      ['sink-postgres', sinkPort],
    ] as const) {
      await eventually(`${name} ready`, async () =>
        (await statusOf(`http://127.0.0.1:${port}/health/ready`)) === 200 ? true : undefined,
      );
    }

    await bed.sql(
      `INSERT INTO ${bed.name}.orders VALUES (1, 'eu', 'a@example.com'), (2, 'us', 'b@example.com'), (3, 'eu', 'c@example.com')`,
    );
    const sinkDb = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await sinkDb.connect();
    try {
      const ids = await eventually('the EU rows in the sink table', async () => {
        const { rows } = await sinkDb
          .query<{ id: number }>(`SELECT id FROM public.${sinkTable} ORDER BY id`)
          .catch(() => ({ rows: [] as Array<{ id: number }> }));
        return rows.length >= 2 ? rows.map((r) => Number(r.id)) : undefined;
      });
      assert.deepEqual(ids, [1, 3]);
    } finally {
      await sinkDb.end();
    }
    for (const app of apps) assert.equal(appErrors(app.output()).length, 0, app.output().slice(-2000));
  });

  it('PLAIN over the same TLS listener authenticates the same user', async () => {
    const admin = createKafkaClient(
      kafkaConfigSchema.parse(saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-plain', { mechanism: 'plain' })),
    ).admin();
    await admin.connect();
    try {
      assert.ok((await admin.describeCluster()).brokers.length === 1);
    } finally {
      await admin.disconnect();
    }
  });

  it('a wrong password: one authentication attempt, one clear error, and the app stops', async () => {
    const app = start(SINK_POSTGRES_MAIN, {
      group: uniqueName('it.saslssl.badpw'),
      topics: [`${topic}.eu`],
      target: { ...stackAddresses().postgres, database: 'sink', schema: 'public' },
      tables: { [`${topic}.eu`]: { table: `public.${sinkTable}` } },
      kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-badpw', { password: 'not-the-password' }),
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: await freePort() },
    });
    const code = await exited(app, 30_000);
    assert.notEqual(code, 0, 'the app exits with a failure');
    const out = app.output();
    const errors = appErrors(out);
    assert.equal(errors.length, 1, `one error line from the app:\n${out.slice(-3000)}`);
    assert.match(errors[0]!.err?.message ?? '', /authentication failed.*invalid credentials/i);
    assert.equal(kafkajsLines(out, /SaslAuthenticate/).length, 1, 'the broker was asked once');
  });

  it('a wrong password given to the source: one clear error, no restart loop, phase failed', async () => {
    bed.trackSlot(`${bed.slot}_badpw`);
    const port = await freePort();
    const app = start(
      SOURCE_MAIN,
      bed.config({
        slot: { name: `${bed.slot}_badpw` },
        kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-source-badpw', {
          password: 'not-the-password',
        }),
        http: { host: '127.0.0.1', port },
        logging: { level: 'warn' },
      }) as Record<string, unknown>,
    );
    await eventually(
      'the error line',
      async () => (appErrors(app.output()).length > 0 ? true : undefined),
      30_000,
    );
    // The source stays up to report the failure (GET /status), without trying again.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const out = app.output();
    const errors = appErrors(out);
    assert.equal(errors.length, 1, `one error line from the app:\n${out.slice(-3000)}`);
    assert.match(errors[0]!.err?.message ?? '', /authentication failed.*invalid credentials/i);
    assert.equal(kafkajsLines(out, /SaslAuthenticate/).length, 1, 'the broker was asked once');
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      phase?: string;
      source?: { phase?: string };
    };
    assert.equal(status.source?.phase ?? status.phase, 'failed', JSON.stringify(status));
    await app.stop();
  });

  it('an untrusted broker certificate: a bounded number of handshakes, one clear error, and the app stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-other-ca-'));
    makeCertificateAuthority(join(dir, 'ca.crt'), join(dir, 'ca.key'), 'Some other CA');
    const startedAt = Date.now();
    const app = start(SINK_POSTGRES_MAIN, {
      group: uniqueName('it.saslssl.badca'),
      topics: [`${topic}.eu`],
      target: { ...stackAddresses().postgres, database: 'sink', schema: 'public' },
      tables: { [`${topic}.eu`]: { table: `public.${sinkTable}` } },
      kafka: saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-badca', { ca: join(dir, 'ca.crt') }),
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: await freePort() },
    });
    const code = await exited(app, 45_000);
    assert.notEqual(code, 0, 'the app exits with a failure');
    const out = app.output();
    const errors = appErrors(out);
    assert.equal(errors.length, 1, `one error line from the app:\n${out.slice(-3000)}`);
    assert.match(errors[0]!.err?.message ?? '', /certificate/);
    // kafkajs's own retries of the first connection (retry.retries, default 5), then no more.
    const handshakes = kafkajsLines(out, /^\[Connection\] Connection error: .*certificate/).length;
    assert.ok(handshakes >= 1 && handshakes <= 6, `${handshakes} handshakes`);
    assert.ok(Date.now() - startedAt < 40_000);
  });
});
