// source-webhook under faults, against the real broker and registry: kill -9 of the app while a
// client sends 5,000 webhooks (retrying every non-2xx, as Stripe does), and a broker stopped for
// 10 s mid-load. The property: every webhook that got a 2xx is in Kafka exactly once (redeliveries
// deduplicated), and each key's events are in the order they were sent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { type LocalStack } from '@sluice/stack';
import { AppChild, freePort, readCommitted, stackAddresses, uniqueName } from '@sluice/test-support';
import { privateKafka } from './observability/observability-harness';

const MAIN = join(__dirname, '..', '..', 'apps', 'source-webhook', 'src', 'main.js');
const SECRET = 'whsec_crash_test';
const DELIVERY_ID_HEADER = 'sluice.webhook.delivery-id';

/** The app as a child process on a fixed port, so a restarted one answers where the old one did. */
class WebhookApp extends AppChild {
  readonly url: string;

  constructor(config: object, port: number) {
    super(MAIN, config);
    this.url = `http://127.0.0.1:${port}/webhooks/stripe`;
  }
}

interface Stats {
  accepted: Set<string>;
  duplicates: number;
  unavailable: number;
  retryAfterMissing: number;
  failedConnections: number;
}

/**
 * A Stripe-like sender: `keys` customers, each with `perKey` events sent one after another (the
 * next only after the previous got its 2xx), every non-2xx or lost connection retried with a fresh
 * signature. `onAccepted` sees the running count.
 */
async function send(
  url: () => string,
  keys: number,
  perKey: number,
  stats: Stats,
  onAccepted: (count: number) => void,
): Promise<void> {
  const deadline = Date.now() + 240_000;
  await Promise.all(
    Array.from({ length: keys }, async (_, k) => {
      for (let seq = 0; seq < perKey; seq++) {
        const id = `evt_${k}_${seq}`;
        const body = JSON.stringify({
          id,
          type: 'invoice.paid',
          data: { object: { customer: `cus_${k}`, seq } },
        });
        for (;;) {
          assert.ok(Date.now() < deadline, `webhook ${id} was never accepted`);
          const t = Math.floor(Date.now() / 1000);
          const signature = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
          const answer = await fetch(url(), {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${signature}` },
            body,
            signal: AbortSignal.timeout(15_000),
          }).then(
            async (r) => ({
              status: r.status,
              retryAfter: r.headers.get('retry-after'),
              json: (await r.json()) as { status?: string },
            }),
            () => undefined,
          );
          if (answer?.status === 200) {
            if (answer.json.status === 'duplicate') stats.duplicates++;
            stats.accepted.add(`stripe:${id}`);
            onAccepted(stats.accepted.size);
            break;
          }
          if (answer === undefined) stats.failedConnections++;
          else {
            assert.equal(answer.status, 503, `only 503 is expected under faults, got ${answer.status}`);
            stats.unavailable++;
            if (answer.retryAfter === null) stats.retryAfterMissing++;
          }
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
        }
      }
    }),
  );
}

/** Runs `step`; when it fails, the failure carries the app's status and last output (what it saw). */
async function explainedBy(app: WebhookApp, step: () => Promise<void>, context = () => ''): Promise<void> {
  try {
    await step();
  } catch (error) {
    const status = await fetch(new URL('/status', app.url), { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.text())
      .catch((e: unknown) => `unreachable: ${(e as Error).message}`);
    // A new error: the runner prints the stack, which holds the message as it was when thrown.
    throw new Error(
      `${(error as Error).message}${context()}\n--- the app's /status ---\n${status}\n` +
        `--- the app's last output ---\n${app.output().slice(-6_000)}`,
      { cause: error },
    );
  }
}

function newStats(): Stats {
  return { accepted: new Set(), duplicates: 0, unavailable: 0, retryAfterMissing: 0, failedConnections: 0 };
}

/** Each delivery id in the topic once, every accepted one there, and each key's events in order. */
async function assertExactlyOnceInOrder(brokers: string[], topic: string, stats: Stats, total: number) {
  const kafka = createKafkaClient(kafkaConfigSchema.parse({ brokers, clientId: 'it-webhook-crash-reader' }));
  const partitions = await readCommitted(kafka, topic);
  const seen = new Map<string, number>();
  const lastSeq = new Map<string, number>();
  for (const records of partitions.values())
    for (const record of records) {
      const id = String(record.headers[DELIVERY_ID_HEADER]);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const [k, s] = /^stripe:evt_(\d+)_(\d+)$/.exec(id)!.slice(1).map(Number) as [number, number];
      const previous = lastSeq.get(String(k)) ?? -1;
      assert.ok(s > previous, `customer ${k}: event ${s} after ${previous} (order per key broken)`);
      lastSeq.set(String(k), s);
    }
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], 'no delivery written twice');
  assert.equal(stats.accepted.size, total, 'every webhook was finally accepted');
  const missing = [...stats.accepted].filter((id) => !seen.has(id));
  assert.deepEqual(missing, [], 'every webhook answered 2xx is in Kafka');
  assert.equal(seen.size, total);
}

function appConfig(name: string, topic: string, brokers: string[], port: number) {
  return {
    name,
    endpoints: [
      {
        name: 'stripe',
        path: '/webhooks/stripe',
        topic,
        verify: { scheme: 'stripe', secrets: [SECRET] },
        key: 'data.object.customer',
        eventType: 'type',
      },
    ],
    publishing: { sendTimeoutMs: 3000, retryAfterSeconds: 1 },
    topics: { partitions: 3 },
    kafka: { brokers, clientId: `it-${name}`, logLevel: 'error' },
    registry: { url: stackAddresses().registryUrl },
    http: { port },
    logging: { level: 'warn' },
  };
}

describe('source-webhook: kill -9 while 5,000 webhooks arrive', () => {
  let app: WebhookApp | undefined;
  const topic = uniqueName('it.webhook.crash');
  const brokers = stackAddresses().kafkaBrokers;

  after(async () => {
    await app?.kill('SIGTERM');
  });

  it('every webhook answered 2xx is in Kafka once, in order per customer', { timeout: 300_000 }, async () => {
    const port = await freePort();
    const crashing = new WebhookApp(appConfig('webhook-crash', topic, brokers, port), port);
    app = crashing;
    crashing.start();
    const stats = newStats();
    let killed: Promise<void> | undefined;
    await explainedBy(crashing, () =>
      send(
        () => crashing.url,
        50,
        100,
        stats,
        (count) => {
          if (count === 1500 && killed === undefined)
            killed = crashing.kill('SIGKILL').then(() => crashing.start());
        },
      ),
    );
    await killed;
    assert.ok(killed !== undefined, 'the app was killed mid-load');
    assert.ok(stats.failedConnections > 0, 'the sender saw the app go away');
    await explainedBy(crashing, () => assertExactlyOnceInOrder(brokers, topic, stats, 5000));
  });
});

describe('source-webhook: the broker stopped for 10 s mid-load', () => {
  let kafkaStack: LocalStack | undefined;
  let app: WebhookApp | undefined;
  let brokers: string[] = [];

  before(async () => {
    ({ stack: kafkaStack, brokers } = await privateKafka());
  });

  after(async () => {
    await app?.kill('SIGTERM');
    await kafkaStack?.down(['kafka'], { purge: true });
  });

  it(
    'answers 503 with Retry-After while Kafka is away, then takes everything once',
    { timeout: 300_000 },
    async () => {
      const topic = uniqueName('it.webhook.outage');
      const port = await freePort();
      const outageApp = new WebhookApp(appConfig('webhook-outage', topic, brokers, port), port);
      app = outageApp;
      outageApp.start();
      const stats: Stats = {
        accepted: new Set(),
        duplicates: 0,
        unavailable: 0,
        retryAfterMissing: 0,
        failedConnections: 0,
      };
      let outage: Promise<void> | undefined;
      let outageState = 'not begun';
      await explainedBy(
        outageApp,
        () =>
          send(
            () => outageApp.url,
            20,
            50,
            stats,
            (count) => {
              if (count === 300 && outage === undefined)
                outage = (async () => {
                  outageState = 'stopping the broker';
                  await kafkaStack!.down(['kafka']);
                  outageState = 'broker stopped';
                  await new Promise((r) => setTimeout(r, 10_000));
                  outageState = 'starting the broker';
                  assert.equal((await kafkaStack!.up(['kafka'])).kafka, 'started');
                  outageState = 'broker started again';
                })().catch((error: unknown) => {
                  outageState = `the outage failed: ${(error as Error).message}`;
                  throw error;
                });
            },
          ),
        () => `\n(outage: ${outageState})`,
      );
      await outage;
      assert.ok(stats.unavailable > 0, 'senders were told to come back while the broker was away');
      assert.equal(stats.retryAfterMissing, 0, 'every 503 says when to retry');
      assert.match(outageApp.output(), /webhook not written: answered 503/);
      await explainedBy(outageApp, () => assertExactlyOnceInOrder(brokers, topic, stats, 1000));
    },
  );
});
