// What sink-http dead-letters, and that an endpoint down for good fills the DLQ, not memory:
// every record goes to `<group>.dlq` with the reason (stage TASK_PUT, DeliveryExhaustedError naming
// the destination) while the records in flight never exceed the runtime's bound. A 4xx is not
// retried and is dead-lettered with the status and the body's start; an undecodable value is
// dead-lettered at VALUE_CONVERTER; the good records around them are delivered.
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

describe('sink-http: dead letters', () => {
  const harness = new SinkHttpHarness();

  before(() => harness.start());
  after(() => harness.close());

  it(
    'an endpoint down for good: every record in the DLQ with the reason, in-flight records bounded',
    { timeout: 180_000 },
    async () => {
      const N = 1_500;
      const topic = await harness.topic('it.sink-http.down', 2);
      const group = uniqueName('it.sink-http.down.group');
      harness.trackGroup(group);
      await harness.produce(topic, events(N, 500));
      const port = await freePort();
      const deadPort = await freePort(); // nothing listens there: connection refused
      const keysPerPartition = 8;
      const child = harness.startApp(
        appConfig({
          group,
          topic,
          port,
          url: `http://127.0.0.1:${deadPort}/events/{{ id }}`,
          destination: {
            timeouts: { connectMs: 200, readMs: 200 },
            retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 2_000 },
            circuitBreaker: { failureThreshold: 3, coolDownMs: 100 },
          },
          runtime: {
            concurrency: { partitions: 2, keysPerPartition, maxBufferedPerPartition: 64 },
            failure: { onKeyFailure: 'skip' },
          },
        }),
      );
      const letters = await harness.deadLetters(group, N, 150_000);
      await until(
        async () => (await harness.committed(group, topic)) === N,
        30_000,
        'offsets committed past the dead letters',
      );
      const s = (await status(port))!;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));

      assert.equal(letters.length, N, 'every record dead-lettered');
      assert.equal(
        new Set(letters.map((l) => `${l.info!.partition}:${l.info!.offset}`)).size,
        N,
        'each once',
      );
      for (const l of letters) {
        assert.equal(l.info!.stage, 'TASK_PUT');
        assert.equal(l.info!.className, 'HttpDestination(receiver)');
        assert.equal(l.info!.exception?.className, 'DeliveryExhaustedError');
        assert.match(l.info!.exception?.message ?? '', /^receiver: gave up after \d+ attempt\(s\)/);
      }
      assert.ok(
        letters.some((l) => /ECONNREFUSED/.test(l.info!.exception!.message!)),
        'the cause is named',
      );
      assert.ok(
        letters.some((l) => /circuit open/.test(l.info!.exception!.message!)),
        'attempts refused by the open circuit count',
      );
      assert.equal(s.records.deadLettered, N);
      // Records being delivered at once never exceed partitions x keysPerPartition: intake waits.
      assert.ok(s.records.maxInFlight <= 2 * keysPerPartition, `max in flight ${s.records.maxInFlight}`);
      assert.ok(s.destinations[0]!.circuit.opened >= 1);
      assert.equal(s.lastDeliveryError?.destination, 'receiver', 'status names the last failure');
    },
  );

  it(
    'a 4xx is dead-lettered at once with status and body; an undecodable value at VALUE_CONVERTER; the rest delivered',
    { timeout: 120_000 },
    async () => {
      const receiver = new TestReceiver();
      await receiver.listen();
      receiver.behaviour = (req, res, r) => {
        const event = JSON.parse(req.body.toString()) as { seq: number };
        if (event.seq % 10 === 3) {
          res
            .writeHead(422, { 'content-type': 'application/json' })
            .end(`{"error":"seq ${event.seq} is invalid"}`);
          return;
        }
        r.accept(req);
        res.writeHead(201).end();
      };
      try {
        const N = 50;
        const topic = await harness.topic('it.sink-http.bad', 1);
        const group = uniqueName('it.sink-http.bad.group');
        harness.trackGroup(group);
        const garbage = [
          { key: null, value: Buffer.from('definitely not avro') },
          { key: null, value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]) }, // framed, unknown schema id
        ];
        await harness.produce(topic, events(N, 50), garbage);
        const port = await freePort();
        const child = harness.startApp(
          appConfig({
            group,
            topic,
            port,
            url: `${receiver.url}/events/{{ id }}`,
            runtime: { failure: { retry: { maxAttempts: 1 } } },
          }),
        );
        const letters = await harness.deadLetters(group, 7, 60_000);
        await until(() => receiver.accepted.size >= 45, 30_000, 'good records delivered');
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));

        const rejected = letters.filter((l) => l.info!.stage === 'TASK_PUT');
        assert.equal(rejected.length, 5);
        for (const l of rejected) {
          assert.equal(l.info!.exception?.className, 'DeliveryRejectedError');
          assert.match(
            l.info!.exception!.message!,
            /^receiver: HTTP 422, not retried: \{"error":"seq \d*3 is invalid"\}$/,
          );
        }
        const undecodable = letters.filter((l) => l.info!.stage === 'VALUE_CONVERTER');
        assert.equal(undecodable.length, 2);
        assert.deepEqual(
          undecodable.map((l) => l.info!.className),
          ['RecordDecoder', 'RecordDecoder'],
        );
        assert.deepEqual(undecodable.map((l) => l.info!.exception!.className).sort(), [
          'CorruptRecordError',
          'UnknownSchemaIdError',
        ]);
        assert.equal(
          undecodable[0]!.value!.toString(),
          'definitely not avro',
          'the record goes in unchanged',
        );
        assert.equal(receiver.accepted.size, 45);
        assert.equal(receiver.requests, 50, '4xx answers were not retried');
      } finally {
        await receiver.close();
      }
    },
  );
});
