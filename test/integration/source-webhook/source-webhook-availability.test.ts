// When the source does not take a webhook now, it says so in a way senders retry: 429 over an
// endpoint's rate limit, 503 while Kafka cannot be reached (the app stays up, phase starting) and
// while the source is paused through the management API — each with Retry-After, nothing written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  json,
  type Reply,
  send,
  type WebhookApp,
  type WebhookAppConfig,
  WebhookTestBed,
} from './source-webhook-harness';

const RETRY_AFTER = 7;
const event = () => JSON.stringify({ id: randomUUID(), type: 'ping' });

/** A 503 with Retry-After and a JSON error. */
function assertUnavailable(reply: Reply): void {
  assert.equal(reply.status, 503, JSON.stringify(reply.body));
  assert.equal(reply.headers.get('retry-after'), String(RETRY_AFTER));
  assert.equal(typeof reply.body.error, 'string', JSON.stringify(reply.body));
}

async function manage(app: WebhookApp, action: string, name = 'source-webhook'): Promise<number> {
  return (await fetch(`${app.url}/connectors/${name}/${action}`, { method: 'POST' })).status;
}

describe('source-webhook: rate limit, Kafka unavailable, paused', () => {
  const bed = new WebhookTestBed();
  const limitedTopic = bed.topic('limited');
  const openTopic = bed.topic('open');
  let config: WebhookAppConfig;
  let app: WebhookApp;

  before(async () => {
    config = bed.config(
      [
        {
          name: 'limited',
          path: '/limited',
          topic: limitedTopic,
          verify: { scheme: 'none' },
          rateLimit: { perSecond: 2, burst: 2 },
        },
        { name: 'open', path: '/open', topic: openTopic, verify: { scheme: 'none' } },
      ],
      { publishing: { retryAfterSeconds: RETRY_AFTER } },
    );
    app = await bed.runningApp(config);
  });

  after(() => bed.cleanup());

  it('over the rate limit: 429 with Retry-After, the accepted requests written', async () => {
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => send(app, '/limited', event(), json())),
    );
    const accepted = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    assert.equal(accepted.length + limited.length, 6, JSON.stringify(replies.map((r) => r.body)));
    // The burst, and at most one token refilled while the six were answered.
    assert.ok(accepted.length >= 2 && accepted.length <= 3, `${accepted.length} accepted`);
    for (const r of limited) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1, `retry-after ${r.headers.get('retry-after')}`);
      assert.match(String(r.body.error), /rate limit/);
    }
    const written = (await bed.records(limitedTopic)).map((r) => r.deliveryId).sort();
    assert.deepEqual(written, accepted.map((r) => String(r.body.deliveryId)).sort());

    // The bucket refills at perSecond: a sender honouring Retry-After gets through.
    await new Promise((r) => setTimeout(r, 1000 * Number(limited[0]!.headers.get('retry-after'))));
    assert.equal((await send(app, '/limited', event(), json())).status, 200);
  });

  it('paused through the management API: 503 with Retry-After until resumed', async () => {
    const before = await bed.endOffsets(limitedTopic, openTopic);
    assert.equal(await manage(app, 'pause'), 200);
    assert.equal(app.connector.phase, 'paused');
    for (const path of ['/open', '/limited']) assertUnavailable(await send(app, path, event(), json()));
    const status = (await (await fetch(`${app.url}/connectors/source-webhook/status`)).json()) as {
      state: string;
    };
    assert.equal(status.state, 'PAUSED');
    assert.deepEqual(await bed.endOffsets(limitedTopic, openTopic), before, 'nothing written while paused');

    assert.equal(await manage(app, 'resume'), 200);
    const body = event();
    const reply = await send(app, '/open', body, json());
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.status, 'accepted');
    const written = (await bed.records(openTopic)).filter((r) => r.deliveryId === reply.body.deliveryId);
    assert.equal(written.length, 1);
  });

  describe('Kafka unreachable (a second instance, its broker a port nobody listens on)', () => {
    let down: WebhookApp;
    const failures: unknown[] = [];
    const record = (error: unknown) => failures.push(error);

    before(async () => {
      process.on('unhandledRejection', record);
      process.on('uncaughtException', record);
      down = await bed.startApp({
        ...config,
        // No retries inside an attempt: several attempts fail within the test.
        kafka: {
          brokers: ['127.0.0.1:1'],
          clientId: 'sluice-it-source-webhook',
          logLevel: 'nothing',
          retry: { retries: 0 },
        },
      });
    });

    after(() => {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    });

    it('answers 503 with Retry-After (phase starting) while it retries, and never crashes', async () => {
      const startedAt = Date.now();
      while (Date.now() - startedAt < 3_500) {
        const reply = await send(down, '/open', event(), json());
        assertUnavailable(reply);
        assert.match(String(reply.body.error), /starting/);
        await new Promise((r) => setTimeout(r, 250));
      }
      const status = (await (await fetch(`${down.url}/status`)).json()) as Record<string, unknown>;
      assert.equal(status.phase, 'starting', JSON.stringify(status));
      assert.match(String(status.lastError), /ECONNREFUSED|Connection error/, JSON.stringify(status));
      assert.equal((await fetch(`${down.url}/health/live`)).status, 200);
      assert.equal((await fetch(`${down.url}/health/ready`)).status, 503);
      assert.deepEqual(failures, []);
    });

    // A SIGTERM while Kafka is away must not wait for the start loop's attempt (kafkajs retries)
    // and its backoff sleep (up to 10 s): nothing is in flight, there is nothing to drain.
    it('closes promptly: stopping does not wait out the reconnect attempt and its backoff', async () => {
      const closing = Date.now();
      await bed.stopApp(down);
      const took = Date.now() - closing;
      assert.deepEqual(failures, []);
      assert.ok(took < 2_000, `closing with nothing in flight took ${took} ms`);
    });
  });
});
