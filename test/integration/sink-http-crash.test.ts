// kill -9 of sink-http mid-stream: the restarted sink redelivers what was not committed with the
// same idempotency keys, so the receiver, which applies each key once, ends with every event
// exactly once and sees the repeats as repeats.
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

describe('sink-http: kill -9 mid-stream', () => {
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
});
