// No secret from an app's configuration appears in anything it writes: passwords in the YAML and in
// a URL, on error paths (authentication refused, registry unreachable), also in the health answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { stackAddresses } from '@sluice/test-support';
import { SourceTestBed } from '../source-postgres-harness';
import { writePipeline } from '../transformer/transformer-harness';
import {
  eventually,
  freePort,
  type RunningApp,
  SOURCE_MAIN,
  startApp,
  TRANSFORMER_MAIN,
} from './observability-harness';

const PG_SECRET = 'Pg-S3cret-7f3a9';
const REGISTRY_SECRET = 'Reg-S3cret-55b1';
const URL_SECRET = 'Url-S3cret-c0de';

describe('observability: secrets never logged', () => {
  let bed: SourceTestBed;
  const apps: RunningApp[] = [];

  before(async () => {
    bed = await SourceTestBed.open('it_obs_secrets');
  });
  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await bed?.cleanup();
  });

  const assertClean = (output: string) => {
    for (const secret of [PG_SECRET, REGISTRY_SECRET, URL_SECRET])
      assert.ok(!output.includes(secret), `${secret} appears in:\n${output}`);
  };

  it('source-postgres refused by Postgres, with registry credentials: no secret in its output', async () => {
    const app = startApp(SOURCE_MAIN, {
      ...bed.config({
        postgres: { ...stackAddresses().postgres, database: 'source', password: PG_SECRET },
        registry: {
          url: stackAddresses().registryUrl,
          auth: { username: 'sluice', password: REGISTRY_SECRET },
        },
        http: { host: '127.0.0.1', port: await freePort() },
        logging: { level: 'debug' },
      }),
      tracing: { enabled: false },
    });
    apps.push(app);
    // The wrong password fails the source (an error line) — the path where a secret could leak.
    await eventually('the authentication failure logged', async () =>
      /password authentication failed/.test(app.output()) ? true : undefined,
    );
    await app.stop();
    const lines = app.output().trim().split('\n');
    assert.ok(lines.length >= 2, 'it logged');
    assert.ok(
      lines.some((l) => l.includes('"level":50')),
      'an error line was written',
    );
    assertClean(app.output());
  });

  it('transformer with a password in the registry URL, registry unreachable: not in its output or probes', async () => {
    const input = `${bed.name}.in`;
    const admin = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs-secrets' }),
    ).admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    const port = await freePort();
    const registryPort = await freePort(); // nothing listens there
    const app = startApp(TRANSFORMER_MAIN, {
      pipeline: writePipeline({
        name: 'it-obs-secrets',
        input,
        group: `${bed.name}.group`,
        eu: `${bed.name}.eu`,
        na: `${bed.name}.na`,
        other: `${bed.name}.other`,
      }),
      kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs-secrets', logLevel: 'nothing' },
      registry: { url: `http://sluice:${URL_SECRET}@127.0.0.1:${registryPort}` },
      http: { host: '127.0.0.1', port },
      logging: { level: 'debug' },
      tracing: { enabled: false },
    });
    apps.push(app);
    // The readiness probe reaches for the registry and fails: its answer names the URL.
    const ready = await eventually('the readiness answer naming the registry', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      const body = res ? await res.text() : '';
      return body.includes('registry') ? { status: res!.status, body } : undefined;
    });
    assert.equal(ready.status, 503);
    assert.match(
      ready.body,
      new RegExp(`127\\.0\\.0\\.1:${registryPort}`),
      'the probe names where it looked',
    );
    const status = await (await fetch(`http://127.0.0.1:${port}/status`)).text();
    await app.stop();
    assert.ok(app.output().includes('"level":30'), 'it logged');
    assertClean(app.output() + ready.body + status);
  });
});
