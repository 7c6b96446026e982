// Source → transformer (exactly-once) → sink-postgres over a SASL_SSL listener (SCRAM-SHA-512, the
// broker's certificate checked against the stack's CA) of a private broker started with the local
// stack's --tls; PLAIN over the same listener; and the two refusals an operator meets first, each one
// clear error and no retry loop: a wrong password (one SASL attempt, the error naming kafka.sasl), and a
// broker certificate from an untrusted CA (one handshake at start-up, the error naming kafka.tls.ca).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
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

/** A TCP relay to `target` on a free loopback port, counting the connections made through it. */
async function countingRelay(
  target: string,
): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  const at = target.lastIndexOf(':');
  const [host, port] = [target.slice(0, at), Number(target.slice(at + 1))];
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

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
    assert.match(errors[0]!.msg ?? '', /check kafka\.sasl username, password and mechanism/);
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
    assert.match(errors[0]!.msg ?? '', /check kafka\.sasl username, password and mechanism/);
    assert.equal(kafkajsLines(out, /SaslAuthenticate/).length, 1, 'the broker was asked once');
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      phase?: string;
      source?: { phase?: string };
    };
    assert.equal(status.source?.phase ?? status.phase, 'failed', JSON.stringify(status));
    await app.stop();
  });

  it('an untrusted broker certificate: one handshake, one clear error naming kafka.tls.ca, and the app stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-other-ca-'));
    makeCertificateAuthority(join(dir, 'ca.crt'), join(dir, 'ca.key'), 'Some other CA');
    // The app reaches the broker through a counting TCP relay: every handshake it tries is a connection.
    const relay = await countingRelay(kafka.endpoint.address);
    try {
      const startedAt = Date.now();
      const app = start(SINK_POSTGRES_MAIN, {
        group: uniqueName('it.saslssl.badca'),
        topics: [`${topic}.eu`],
        target: { ...stackAddresses().postgres, database: 'sink', schema: 'public' },
        tables: { [`${topic}.eu`]: { table: `public.${sinkTable}` } },
        kafka: {
          ...saslSslKafkaConfig(kafka.endpoint, 'it-saslssl-badca', { ca: join(dir, 'ca.crt') }),
          brokers: [relay.address],
        },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: await freePort() },
      });
      const code = await exited(app, 20_000);
      assert.notEqual(code, 0, 'the app exits with a failure');
      const out = app.output();
      const errorLines = out
        .split('\n')
        .filter((line) => /certificate|error/i.test(line) && !line.includes('VERIFICATION IS OFF'));
      assert.equal(errorLines.length, 1, `one error line:\n${out.slice(-3000)}`);
      assert.match(
        errorLines[0]!,
        new RegExp(
          `^sink-postgres: Kafka broker ${relay.address}'s certificate is not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\\): kafka\\.tls\\.ca \\(.*ca\\.crt\\) did not sign it: set kafka\\.tls\\.ca to the CA that signed it$`,
        ),
      );
      assert.equal(relay.connections(), 1, 'one handshake');
      assert.equal(kafkajsLines(out, /Connection error/).length, 0, 'kafkajs never tried');
      assert.ok(Date.now() - startedAt < 15_000);
    } finally {
      await relay.close();
    }
  });
});
