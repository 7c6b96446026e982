import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo } from 'node:net';
import { parseConfig } from '@sluice/config';
import { WebhookSignature } from '@sluice/webhook-signing';
import { httpDestinationConfigSchema } from '../config/http-destination-config';
import { FakeClock } from '@sluice/test-support';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../testing/self-signed-certificate';
import { scopeOf } from '../testing/scope';
import {
  CircuitOpenError,
  DeliveryExhaustedError,
  DeliveryRejectedError,
  EndpointUnreachableError,
  RetriableStatusError,
} from './delivery-errors';
import { HttpDestination } from './http-destination';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();
const seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function destination(over: Record<string, unknown> = {}, clock = new FakeClock()) {
  const config = parseConfig(
    httpDestinationConfigSchema,
    {
      name: 'crm',
      url: `${base}/contacts/{{ id }}`,
      retry: { initialDelayMs: 100, maxAttempts: 4, jitter: 'none' },
      ...over,
    },
    { env: {} },
  );
  return { d: new HttpDestination(config, { clock }), clock };
}

async function deliver(d: HttpDestination, value: unknown = { id: 7 }): Promise<void> {
  await d.deliver(d.template.render(scopeOf(value)), new AbortController().signal);
}

function answer(...statuses: Array<number | [number, Record<string, string>]>): void {
  let i = 0;
  handler = (_req, res) => {
    const next = statuses[Math.min(i++, statuses.length - 1)]!;
    const [status, headers] = Array.isArray(next) ? next : [next, {}];
    res.writeHead(status, headers).end(status >= 400 ? `{"error":"status ${status}"}` : 'ok');
  };
}

describe('HttpDestination', () => {
  it('sends the rendered request with the idempotency key, auth and a signature that verifies', async () => {
    seen.length = 0;
    answer(200);
    const { d, clock } = destination({
      auth: { type: 'bearer', token: 's3cret' },
      signing: { secret: 'whsec_0123456789abcdef' },
      headers: { 'X-Source': 'sluice' },
    });
    await deliver(d);
    const [req] = seen;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, '/contacts/7');
    assert.equal(req!.headers['idempotency-key'], 'shop.orders:2:41');
    assert.equal(req!.headers.authorization, 'Bearer s3cret');
    assert.equal(req!.headers['x-source'], 'sluice');
    assert.equal(req!.body.toString(), '{"id":7}');
    const signature = String(req!.headers['x-sluice-signature']);
    assert.ok(
      new WebhookSignature('whsec_0123456789abcdef').verify(
        signature,
        req!.body,
        Math.floor(clock.now() / 1000),
      ),
    );
    assert.equal(d.status().recordsDelivered, 1);
    await d.close();
  });

  it('basic and api-key auth', async () => {
    seen.length = 0;
    answer(204);
    const basic = destination({ auth: { type: 'basic', username: 'u', password: 'p:w' } }).d;
    await deliver(basic);
    assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('u:p:w').toString('base64')}`);
    const key = destination({ auth: { type: 'api-key', header: 'X-Api-Token', value: 'k' } }).d;
    await deliver(key);
    assert.equal(seen[1]!.headers['x-api-token'], 'k');
    await Promise.all([basic.close(), key.close()]);
  });

  it('retries 5xx with backoff, then delivers; the same idempotency key every time', async () => {
    seen.length = 0;
    answer(500, 502, 200);
    const { d, clock } = destination();
    await deliver(d);
    assert.equal(seen.length, 3);
    assert.deepEqual(new Set(seen.map((s) => s.headers['idempotency-key'])), new Set(['shop.orders:2:41']));
    assert.deepEqual(clock.slept, [100, 200]);
    assert.equal(d.status().retries, 2);
    await d.close();
  });

  it('429 with Retry-After waits that long (seconds or HTTP date), capped at maxRetryAfterMs', async () => {
    seen.length = 0;
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    answer(
      [429, { 'retry-after': '2' }],
      [503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:09 GMT' }],
      [429, { 'retry-after': '3600' }],
      200,
    );
    const { d } = destination(
      { retry: { initialDelayMs: 100, maxAttempts: 5, jitter: 'none', maxRetryAfterMs: 10_000 } },
      clock,
    );
    await deliver(d);
    assert.deepEqual(clock.slept, [2_000, 7_000, 10_000]);
    assert.equal(d.status().throttled, 2);
    await d.close();
  });

  it('4xx other than 408/429 is not retried: DeliveryRejectedError with status and body excerpt', async () => {
    seen.length = 0;
    answer(422);
    const { d } = destination();
    await assert.rejects(
      deliver(d),
      (e: unknown) => e instanceof DeliveryRejectedError && e.status === 422 && /status 422/.test(e.message),
    );
    assert.equal(seen.length, 1);
    assert.equal(d.status().recordsRejected, 1);
    await d.close();
  });

  it('408 is retried', async () => {
    answer(408, 200);
    const { d } = destination();
    await deliver(d);
    assert.equal(d.status().retries, 1);
    await d.close();
  });

  it('a policy that runs out throws DeliveryExhaustedError with the last failure', async () => {
    answer(503);
    const { d } = destination({ circuitBreaker: { failureThreshold: 100 } });
    await assert.rejects(
      deliver(d),
      (e: unknown) =>
        e instanceof DeliveryExhaustedError &&
        e.attempts === 4 &&
        e.lastFailure instanceof RetriableStatusError,
    );
    assert.equal(d.status().recordsExhausted, 1);
    await d.close();
  });

  it('maxElapsedMs bounds the time spent on one record', async () => {
    answer(500);
    const { d, clock } = destination({
      retry: { initialDelayMs: 1_000, maxAttempts: 100, jitter: 'none', maxElapsedMs: 5_000 },
      circuitBreaker: { failureThreshold: 100 },
    });
    const start = clock.now();
    await assert.rejects(deliver(d), DeliveryExhaustedError);
    assert.ok(clock.now() - start <= 5_000);
    await d.close();
  });

  it('the circuit opens after consecutive failures: attempts are refused without a request until the probe', async () => {
    seen.length = 0;
    answer(500, 500, 500, 200);
    const { d } = destination({
      circuitBreaker: { failureThreshold: 3, coolDownMs: 10_000 },
      retry: { initialDelayMs: 10, maxAttempts: 10, jitter: 'none' },
    });
    const states: string[] = [];
    d.breaker.onStateChange((t) => states.push(t.to));
    await deliver(d);
    // 3 failures open it; the next attempt is refused (waits out the cool-down), then the probe succeeds.
    assert.equal(seen.length, 4);
    assert.deepEqual(states, ['open', 'half-open', 'closed']);
    assert.equal(d.status().circuit.rejected, 1);
    await d.close();
  });

  it('an endpoint that is not there: EndpointUnreachableError, retried, then exhausted', async () => {
    const config = parseConfig(
      httpDestinationConfigSchema,
      { name: 'down', url: 'http://127.0.0.1:1/x', retry: { maxAttempts: 2, initialDelayMs: 1 } },
      { env: {} },
    );
    const d = new HttpDestination(config, { clock: new FakeClock() });
    await assert.rejects(
      deliver(d),
      (e: unknown) =>
        e instanceof DeliveryExhaustedError && e.lastFailure instanceof EndpointUnreachableError,
    );
    await d.close();
  });

  it('a hanging endpoint hits the read timeout', async () => {
    handler = () => undefined; // never answers
    const { d } = destination({ timeouts: { readMs: 200 }, retry: { maxAttempts: 1 } });
    await assert.rejects(
      deliver(d),
      (e: unknown) =>
        e instanceof DeliveryExhaustedError &&
        e.lastFailure instanceof EndpointUnreachableError &&
        /Timeout/i.test(e.message),
    );
    await d.close();
  });

  it('redirects: not followed by default; same-origin followed when enabled; another origin never', async () => {
    seen.length = 0;
    handler = (req, res) => {
      if (req.url === '/contacts/7') res.writeHead(307, { location: '/v2/contacts/7' }).end();
      else if (req.url === '/v2/contacts/7') res.writeHead(200).end();
      else res.writeHead(307, { location: 'http://127.0.0.2:9/steal' }).end();
    };
    const { d } = destination();
    await assert.rejects(deliver(d), (e: unknown) => e instanceof DeliveryRejectedError && e.status === 307);
    const follow = destination({ redirects: { follow: true }, auth: { type: 'bearer', token: 't' } }).d;
    await deliver(follow);
    assert.equal(seen.at(-1)!.url, '/v2/contacts/7');
    assert.equal(seen.at(-1)!.body.toString(), '{"id":7}', 'method and body kept');
    await assert.rejects(
      deliver(follow, { id: 8 }),
      (e: unknown) => e instanceof DeliveryRejectedError && /another origin/.test(e.message),
    );
    await Promise.all([d.close(), follow.close()]);
  });

  it('an abort while waiting abandons the record with a retriable error (not dead-lettered)', async () => {
    answer(500);
    const { d } = destination();
    const controller = new AbortController();
    const clock = new FakeClock();
    const slow = new HttpDestination(d.config, {
      clock: {
        now: () => clock.now(),
        sleep: async () => {
          controller.abort();
          throw new Error('aborted');
        },
      },
    });
    await assert.rejects(
      slow.deliver(slow.template.render(scopeOf({ id: 7 })), controller.signal),
      (e: unknown) => !(e instanceof DeliveryExhaustedError) && !(e instanceof CircuitOpenError),
    );
    await Promise.all([d.close(), slow.close()]);
  });
});

describe('HttpDestination: TLS and rate limit', () => {
  it('verifies certificates by default: a self-signed endpoint is unreachable; tls.verify false delivers', async () => {
    const tls = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) =>
      res.writeHead(200).end(),
    );
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/x`;
    const make = (verify: boolean) =>
      new HttpDestination(
        parseConfig(
          httpDestinationConfigSchema,
          { name: 'tls', url, tls: { verify }, retry: { maxAttempts: 1 } },
          { env: {} },
        ),
        { clock: new FakeClock() },
      );
    const verified = make(true);
    const unverified = make(false);
    try {
      await assert.rejects(
        deliver(verified),
        (e: unknown) =>
          e instanceof DeliveryExhaustedError &&
          e.lastFailure instanceof EndpointUnreachableError &&
          /certificate/i.test(e.message),
      );
      await deliver(unverified);
      assert.equal(unverified.status().recordsDelivered, 1);
    } finally {
      await Promise.all([verified.close(), unverified.close()]);
      tls.closeAllConnections();
      tls.close();
    }
  });

  it('the token bucket paces requests at rateLimit.perSecond after the burst', async () => {
    answer(200);
    const { d, clock } = destination({ rateLimit: { perSecond: 4, burst: 2 } });
    for (let i = 0; i < 6; i++) await deliver(d, { id: i });
    // 2 from the burst, then one every 250 ms.
    assert.deepEqual(
      clock.slept.filter((ms) => ms > 0),
      [250, 250, 250, 250],
    );
    await d.close();
  });
});
