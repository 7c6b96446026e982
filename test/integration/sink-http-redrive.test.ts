// `sluice dlq redrive` on sink-http, against the real stack and a webhook receiver that dedupes by
// Idempotency-Key: key 2's first event is refused (422) and key 4's first event is applied but
// answered 503 until the sink gives up (its answer "lost"); both keys park behind them. After the
// receiver is fixed, the redrive delivers each parked sequence in order; key 4's first event comes
// back with its original Idempotency-Key, so the receiver does not apply it twice; both keys are
// released (a new event of each is delivered directly).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type CliRun, jsonOutput, runSluice, uniqueName } from '@sluice/test-support';
import {
  appConfig,
  events,
  freePort,
  SinkHttpHarness,
  status,
  TestReceiver,
  until,
} from './sink-http/sink-http-harness';

const N = 20;
const KEYS = 5;
/** Key 2's events: seq 2, 7, 12, 17. Key 4's: 4, 9, 14, 19. */
const seqsOf = (id: number, upTo = N) =>
  events(upTo, KEYS)
    .filter((e) => e.id === id)
    .map((e) => e.seq);

describe('sluice dlq redrive on sink-http', { timeout: 240_000 }, () => {
  const harness = new SinkHttpHarness();
  const receiver = new TestReceiver();
  let fixed = false;
  let group: string;
  let topic: string;
  let port: number;

  const dlq = (...args: string[]): CliRun =>
    runSluice(['dlq', ...args, '--group', group], { timeoutMs: 90_000 });
  const json = jsonOutput;
  const appliedSeqs = (id: number) => receiver.appliedOrder.filter((e) => e.id === id).map((e) => e.seq);

  before(async () => {
    await harness.start();
    await receiver.listen();
    receiver.behaviour = (req, res, r) => {
      const event = JSON.parse(req.body.toString()) as { id: number; seq: number };
      if (!fixed && event.seq === 2) {
        res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":"seq 2 is invalid"}');
        return;
      }
      if (!fixed && event.seq === 4) {
        r.accept(req); // applied; the answer never says so
        res.writeHead(503).end();
        return;
      }
      r.accept(req);
      res.writeHead(200).end();
    };
    topic = await harness.topic('it.sink-http.redrive', 1);
    group = uniqueName('it.sink-http.redrive.group');
    harness.trackGroup(group);
    port = await freePort();
    harness.startApp(
      appConfig({
        group,
        topic,
        port,
        url: `${receiver.url}/events/{{ id }}`,
        destination: {
          retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 2_000 },
          circuitBreaker: { failureThreshold: 100, coolDownMs: 100 },
        },
        runtime: { failure: { onKeyFailure: 'park', retry: { maxAttempts: 1 } } },
      }),
    );
    await harness.produce(topic, events(N, KEYS));
    // 2 failed + 6 parked behind them.
    await harness.deadLetters(group, 8, 90_000);
    await until(async () => (await harness.committed(group, topic)) === N, 60_000, 'offsets committed');
  });

  after(async () => {
    await harness.close();
    await receiver.close();
  });

  it('delivers the other keys and parks keys 2 and 4 behind their failed events', () => {
    assert.deepEqual(appliedSeqs(2), []);
    assert.deepEqual(appliedSeqs(4), [4], 'applied once, its answer lost');
    for (const id of [0, 1, 3]) assert.deepEqual(appliedSeqs(id), seqsOf(id));
    const summary = json<{ total: number; parkedKeys: number; byErrorClass: Array<{ errorClass: string }> }>(
      dlq('list', '-o', 'json'),
    );
    assert.deepEqual([summary.total, summary.parkedKeys], [8, 2]);
    assert.deepEqual(summary.byErrorClass.map((c) => c.errorClass).sort(), [
      'DeliveryExhaustedError',
      'DeliveryRejectedError',
      'parked',
    ]);
  });

  it('after the fix, redrive delivers each parked sequence in order, once, and releases both keys', async () => {
    fixed = true;
    const repeatsBefore = receiver.duplicates;
    const result = json<{ published: number; releases: unknown[] }>(dlq('redrive', '-o', 'json'));
    assert.deepEqual([result.published, result.releases.length], [8, 2]);
    await until(
      () => appliedSeqs(2).at(-1) === 17 && appliedSeqs(4).at(-1) === 19,
      90_000,
      'the parked sequences delivered',
    );
    assert.deepEqual(appliedSeqs(2), seqsOf(2), 'key 2 in its original order');
    assert.deepEqual(appliedSeqs(4), seqsOf(4), 'key 4 in order, its first event once');
    assert.equal(receiver.duplicates - repeatsBefore, 1, "key 4's first event came back under its own key");
    assert.equal(receiver.orderViolations(), 0);
    assert.equal(receiver.badSignatures, 0);

    await until(
      () => json<{ parkedKeys: number }>(dlq('list', '-o', 'json')).parkedKeys === 0,
      60_000,
      'keys released',
    );
    await harness.produce(topic, [
      { id: 2, seq: 20 },
      { id: 4, seq: 21 },
    ]);
    await until(
      () => appliedSeqs(2).at(-1) === 20 && appliedSeqs(4).at(-1) === 21,
      60_000,
      'new events of the released keys delivered',
    );
    const s = (await status(port))!;
    assert.equal(s.records.deadLettered, 2, 'nothing dead-lettered again');
    assert.equal(s.records.parked, 6, 'nothing parked again');
  });
});
