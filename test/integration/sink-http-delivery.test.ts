// sink-http against a flaky endpoint (issue #6): a receiver that randomly answers 500, 429 with
// Retry-After, applies an event and then answers 500, or hangs past the read timeout. Every event
// is applied exactly once (the receiver dedupes by Idempotency-Key and counts repeats), in order
// per key, every request's signature verifies with the documented snippet, nothing is
// dead-lettered. Then the circuit: an endpoint answering 503 opens it (observed in /status),
// requests stop but for probes, and it closes once the endpoint is back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '@sluice/test-support';
import {
  appConfig,
  events,
  freePort,
  SinkHttpHarness,
  status,
  TestReceiver,
  until,
} from './sink-http/sink-http-harness';

/** A small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sink-http: delivery to a flaky endpoint', () => {
  const harness = new SinkHttpHarness();
  const receiver = new TestReceiver();

  before(async () => {
    await harness.start();
    await receiver.listen();
  });
  after(async () => {
    await receiver.close();
    await harness.close();
  });

  it(
    '500s, 429 + Retry-After, apply-then-500 and hangs: every event applied exactly once, in key order, signed',
    { timeout: 240_000 },
    async () => {
      const seed = Number(process.env.SLUICE_IT_SEED ?? Date.now() % 100_000);
      const random = seeded(seed);
      const hanging = new Set<import('node:http').ServerResponse>();
      const tally = { ok: 0, err500: 0, throttled: 0, appliedThen500: 0, hung: 0 };
      receiver.behaviour = (req, res, r) => {
        const roll = random();
        if (roll < 0.15) {
          tally.err500++;
          res.writeHead(500).end('boom');
        } else if (roll < 0.18) {
          tally.throttled++;
          res.writeHead(429, { 'retry-after': '1' }).end('slow down');
        } else if (roll < 0.28) {
          tally.appliedThen500++;
          r.accept(req);
          res.writeHead(500).end('applied, then failed');
        } else if (roll < 0.31) {
          tally.hung++;
          hanging.add(res); // never answered: the sink's read timeout fires
          setTimeout(() => res.destroy(), 5_000).unref();
        } else {
          tally.ok++;
          r.accept(req);
          res.writeHead(200).end('ok');
        }
      };
      const N = 300;
      const topic = await harness.topic('it.sink-http.flaky', 4);
      const group = uniqueName('it.sink-http.flaky.group');
      harness.trackGroup(group);
      await harness.produce(topic, events(N, 30));
      const port = await freePort();
      const child = harness.startApp(
        appConfig({
          group,
          topic,
          port,
          url: `${receiver.url}/events/{{ id }}`,
          destination: {
            timeouts: { connectMs: 1_000, readMs: 300 },
            retry: {
              maxAttempts: 40,
              initialDelayMs: 20,
              maxDelayMs: 300,
              maxRetryAfterMs: 1_000,
              maxElapsedMs: 120_000,
            },
            circuitBreaker: { failureThreshold: 12, coolDownMs: 200 },
          },
        }),
      );
      await until(() => receiver.accepted.size >= N, 180_000, `${N} events applied (seed ${seed})`);
      await until(async () => (await harness.committed(group, topic)) === N, 30_000, 'offsets committed');
      const s = await status(port);
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', (c) => r(c)));

      const context = `seed ${seed}, answers ${JSON.stringify(tally)}`;
      assert.equal(code, 0, 'SIGTERM: graceful exit');
      assert.equal(receiver.accepted.size, N, `each event applied (${context})`);
      assert.deepEqual(
        [...receiver.accepted.values()].map((e) => e.seq).sort((a, b) => a - b),
        Array.from({ length: N }, (_, i) => i),
        'the applied events are exactly the produced ones',
      );
      assert.equal(receiver.orderViolations(), 0, 'per key, events applied in order');
      assert.equal(receiver.badSignatures, 0, 'every signature verifies');
      assert.ok(
        tally.appliedThen500 > 0 && receiver.duplicates > 0,
        `repeats of applied keys arrived and were refused (${context})`,
      );
      assert.ok(tally.err500 + tally.throttled + tally.hung > 0, context);
      assert.equal(s?.records.deadLettered, 0, 'nothing dead-lettered');
      assert.equal(s?.records.delivered, N);
      assert.ok(
        (s?.partitions ?? []).every((p) => p.lag === 0),
        'no lag left',
      );
    },
  );

  it(
    'the circuit opens on a failing endpoint (only probes get through) and closes when it is back',
    { timeout: 120_000 },
    async () => {
      let down = true;
      let requestsWhileDown = 0;
      receiver.behaviour = (req, res, r) => {
        if (down) {
          requestsWhileDown++;
          res.writeHead(503).end('maintenance');
          return;
        }
        r.accept(req);
        res.writeHead(200).end();
      };
      const before = receiver.accepted.size;
      const N = 40;
      const topic = await harness.topic('it.sink-http.circuit', 1);
      const group = uniqueName('it.sink-http.circuit.group');
      harness.trackGroup(group);
      await harness.produce(topic, events(N, 10));
      const port = await freePort();
      const coolDownMs = 500;
      const child = harness.startApp(
        appConfig({
          group,
          topic,
          port,
          url: `${receiver.url}/circuit/{{ id }}`,
          destination: {
            retry: { maxAttempts: 1_000, initialDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 120_000 },
            circuitBreaker: { failureThreshold: 3, coolDownMs },
          },
          runtime: { concurrency: { partitions: 1, keysPerPartition: 4 } },
        }),
      );
      const circuit = async () => (await status(port))?.destinations[0]?.circuit;
      await until(async () => (await circuit())?.state === 'open', 60_000, 'the circuit to open');
      const downFor = 3_000;
      const atOpen = requestsWhileDown;
      await new Promise((r) => setTimeout(r, downFor));
      const duringOpen = requestsWhileDown - atOpen;
      const rejected = (await circuit())!.rejected;
      down = false;
      await until(() => receiver.accepted.size - before >= N, 60_000, 'all events after recovery');
      await until(async () => (await circuit())?.state === 'closed', 10_000, 'the circuit to close');
      const final = (await circuit())!;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));

      // 4 keys retrying every <= 100 ms for 3 s would be ~120 requests; an open circuit lets one probe
      // per cool-down through (a failed probe reopens it).
      assert.ok(duringOpen <= Math.ceil(downFor / coolDownMs) + 2, `${duringOpen} requests while open`);
      assert.ok(rejected > 0, 'attempts were refused without a request');
      assert.ok(final.opened >= 1 && final.closed >= 1, `transitions: ${JSON.stringify(final)}`);
      assert.equal(receiver.accepted.size - before, N);
    },
  );
});
