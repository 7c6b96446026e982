// /health/ready follows Kafka: a source-postgres and a transformer on a private Kafka broker (own
// ports and data, never the shared one) are ready, go not-ready when that broker is stopped, and
// ready again when it is back; /health/live stays up throughout (no restart into a crash loop).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { type LocalStack } from '@sluice/stack';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { SourceTestBed } from '../source-postgres-harness';
import { writePipeline } from '../transformer/transformer-harness';
import {
  eventually,
  freePort,
  privateKafka,
  type RunningApp,
  SOURCE_MAIN,
  startApp,
  statusOf,
  TRANSFORMER_MAIN,
} from './observability-harness';

describe('observability: readiness follows Kafka', () => {
  let bed: SourceTestBed;
  let kafkaStack: LocalStack;
  const apps: RunningApp[] = [];
  let brokers: string[] = [];
  const urls: Record<'source' | 'transformer', string> = { source: '', transformer: '' };

  before(async () => {
    bed = await SourceTestBed.open('it_obs_health');
    ({ stack: kafkaStack, brokers } = await privateKafka());
    const topic = `${bed.name}.${bed.name}.items`;
    await bed.sql(`CREATE TABLE ${bed.name}.items (id int PRIMARY KEY, region text NOT NULL, email text)`);
    const admin = createKafkaClient(kafkaConfigSchema.parse({ brokers, clientId: 'it-obs-health' })).admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();

    const [sourcePort, transformerPort] = [await freePort(), await freePort()];
    urls.source = `http://127.0.0.1:${sourcePort}`;
    urls.transformer = `http://127.0.0.1:${transformerPort}`;
    apps.push(
      startApp(SOURCE_MAIN, {
        ...bed.config({
          http: { host: '127.0.0.1', port: sourcePort },
          kafka: { brokers, clientId: 'it-obs-health-source', logLevel: 'nothing' },
          logging: { level: 'warn' },
        }),
        tracing: { enabled: false },
      }),
    );
    apps.push(
      startApp(TRANSFORMER_MAIN, {
        pipeline: writePipeline({
          name: 'it-obs-health',
          input: topic,
          group: uniqueName('it.obs.health'),
          eu: `${topic}.eu`,
          na: `${topic}.na`,
          other: `${topic}.other`,
        }),
        kafka: { brokers, clientId: 'it-obs-health-transformer', logLevel: 'nothing' },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: transformerPort },
        logging: { level: 'warn' },
        runtime: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
        tracing: { enabled: false },
      }),
    );
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await bed?.cleanup();
    await kafkaStack?.down(['kafka'], { purge: true });
  });

  const readiness = async (app: 'source' | 'transformer') => statusOf(`${urls[app]}/health/ready`);
  const until = (app: 'source' | 'transformer', status: number, what: string) =>
    eventually(`${app} ${what}`, async () => ((await readiness(app)) === status ? true : undefined), 90_000);

  it('ready with Kafka up, not ready while it is stopped, ready again when it is back', async () => {
    await until('source', 200, 'ready with the broker up');
    await until('transformer', 200, 'ready with the broker up');

    await kafkaStack.down(['kafka']);
    await until('source', 503, 'not ready without the broker');
    await until('transformer', 503, 'not ready without the broker');
    const body = (await (await fetch(`${urls.source}/health/ready`)).json()) as {
      error?: Record<string, { status: string }>;
    };
    assert.equal(body.error?.kafka?.status, 'down', 'the kafka probe says why');
    assert.equal(await statusOf(`${urls.source}/health/live`), 200, 'still live: no restart loop');
    assert.equal(await statusOf(`${urls.transformer}/health/live`), 200, 'still live: no restart loop');

    assert.equal((await kafkaStack.up(['kafka'])).kafka, 'started');
    await until('source', 200, 'ready again with the broker back');
    await until('transformer', 200, 'ready again with the broker back');
  });
});
