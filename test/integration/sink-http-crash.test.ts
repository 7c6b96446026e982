// kill -9 of sink-http mid-stream: the restarted sink redelivers what was not committed with the
// same idempotency keys, so the receiver, which applies each key once, ends with every event
// exactly once and sees the repeats as repeats. SIGTERM while records wait for a failing endpoint:
// the sink exits 0 within its shutdown budget without committing what was not delivered, and the
// restart delivers the rest.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueName } from '@sluice/test-support';
import {
  appConfig,
  events,
  freePort,
  SinkHttpHarness,
  TestReceiver,
  until,
} from './sink-http/sink-http-harness';

describe('sink-http: kill -9 and SIGTERM mid-stream', () => {
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
    'redelivery after SIGKILL carries the same idempotency keys: every event applied once',
    { timeout: 180_000 },
    async () => {
      const N = 2_000;
      // A receiver that takes a little time, so the kill lands while requests are in flight.
      receiver.behaviour = (req, res, r) => {
        setTimeout(() => {
          r.accept(req);
          res.writeHead(200).end();
        }, 2);
      };
      const topic = await harness.topic('it.sink-http.crash', 2);
      const group = uniqueName('it.sink-http.crash.group');
      harness.trackGroup(group);
      await harness.produce(topic, events(N, 200));
      const config = async () =>
        appConfig({
          group,
          topic,
          port: await freePort(),
          url: `${receiver.url}/events/{{ id }}`,
          runtime: { concurrency: { partitions: 2, keysPerPartition: 4 } },
        });
      const first = harness.startApp(await config());
      await until(() => receiver.accepted.size >= N / 3, 60_000, 'a third applied');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const appliedBeforeKill = receiver.accepted.size;
      const committedAtKill = await harness.committed(group, topic);
      const second = harness.startApp(await config());
      await until(() => receiver.accepted.size >= N, 120_000, 'all applied after the restart');
      await until(async () => (await harness.committed(group, topic)) === N, 30_000, 'all committed');
      second.kill('SIGTERM');
      const code = await new Promise((r) => second.once('exit', (c) => r(c)));

      assert.equal(code, 0);
      assert.ok(
        committedAtKill < appliedBeforeKill,
        `the kill left applied but uncommitted events (${committedAtKill} < ${appliedBeforeKill})`,
      );
      assert.ok(receiver.duplicates > 0, 'redelivered events arrived with keys already applied');
      assert.equal(receiver.accepted.size, N);
      assert.deepEqual(
        [...receiver.accepted.values()].map((e) => e.seq).sort((a, b) => a - b),
        Array.from({ length: N }, (_, i) => i),
      );
      assert.equal(receiver.orderViolations(), 0);
      assert.equal(receiver.badSignatures, 0);
    },
  );

  it(
    'SIGTERM while records wait behind a failing endpoint: exit 0 in time, nothing undelivered committed, the restart delivers it',
    { timeout: 120_000 },
    async () => {
      const N = 30;
      let down = true;
      receiver.behaviour = (req, res, r) => {
        if (down) {
          res.writeHead(503).end();
          return;
        }
        r.accept(req);
        res.writeHead(200).end();
      };
      const before = receiver.accepted.size;
      const requestsBefore = receiver.requests;
      const topic = await harness.topic('it.sink-http.stop', 1);
      const group = uniqueName('it.sink-http.stop.group');
      harness.trackGroup(group);
      await harness.produce(topic, events(N, 30));
      const config = async () =>
        appConfig({
          group,
          topic,
          port: await freePort(),
          url: `${receiver.url}/stop/{{ id }}`,
          destination: {
            retry: { maxAttempts: 1_000, initialDelayMs: 50, maxDelayMs: 200, maxElapsedMs: 600_000 },
            circuitBreaker: { coolDownMs: 300 },
          },
          runtime: { shutdownTimeoutMs: 3_000, revokeTimeoutMs: 1_000 },
        });
      // Without telemetry: its exporter's flush on exit (up to its own timeout when no collector
      // listens) is not the sink's drain.
      const first = harness.startApp(await config(), { OTEL_SDK_DISABLED: 'true' });
      await until(
        () => receiver.requests - requestsBefore > 10,
        30_000,
        'attempts against the failing endpoint',
      );
      const stoppedAt = Date.now();
      first.kill('SIGTERM');
      const code = await new Promise((r) => first.once('exit', (c) => r(c)));
      const stopMs = Date.now() - stoppedAt;
      assert.equal(code, 0);
      // The records' own policy would keep them waiting for 10 minutes: they are abandoned at the
      // shutdown budget (3 s) instead, for the next start to redeliver.
      assert.ok(stopMs < 30_000, `stopped in ${stopMs} ms`);
      assert.equal(await harness.committed(group, topic), 0, 'nothing undelivered was committed');
      down = false;
      const second = harness.startApp(await config());
      await until(() => receiver.accepted.size - before >= N, 60_000, 'all delivered after the restart');
      await until(async () => (await harness.committed(group, topic)) === N, 30_000, 'all committed');
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
      assert.equal(receiver.accepted.size - before, N);
    },
  );
});
