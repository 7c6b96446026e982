// A consumer group on a transactional topic (one written by an exactly-once stage) reaches lag 0 as
// Kafka's tools count it: the last offsets of such a partition are control records (commit and
// abort markers, aborted records hidden by read_committed), and a caught-up group must commit past
// them, as the Java consumer's position() does — not stop at its last record + 1, one short forever.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Producer } from 'kafkajs';
import { parseStreamRuntimeConfig, StreamRuntime } from '@sluice/stream';
import { createKafkaClient } from '@sluice/kafka';
import { uniqueName, until } from '@sluice/test-support';
import { eventually, kafkaConfig, StreamHarness } from './stream-harness';

const DELIVERIES = ['at-least-once', 'exactly-once'] as const;

describe('stream runtime: commits past control records', () => {
  const h = new StreamHarness();
  let producer: Producer;
  before(async () => {
    await h.connect();
    producer = createKafkaClient(kafkaConfig).producer({
      transactionalId: uniqueName('it.stream.control.tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
  });
  after(async () => {
    await producer.disconnect();
    await h.close();
  });

  let producing: Promise<unknown> = Promise.resolve();
  /**
   * One transaction of `count` records over keys k0..k(count-1), committed or aborted; the one
   * producer's transactions run one after another (both scenarios share it).
   */
  const transaction = (topic: string, tag: string, count: number, commit = true): Promise<void> => {
    const run = producing.then(() => transactionNow(topic, tag, count, commit));
    producing = run.catch(() => undefined);
    return run;
  };
  const transactionNow = async (topic: string, tag: string, count: number, commit: boolean) => {
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${tag}:${i}` })),
    });
    if (commit) await tx.commit();
    else await tx.abort();
  };

  const runtimeOn = (
    group: string,
    topics: string[],
    delivery: (typeof DELIVERIES)[number],
    seen: string[],
  ) =>
    new StreamRuntime({
      kafka: kafkaConfig,
      config: parseStreamRuntimeConfig({ group, topics, delivery, fromBeginning: true }),
      processor: {
        name: 'Collect',
        process: (record) => {
          seen.push(`${record.topic}/${record.value!.toString()}`);
          return Promise.resolve([]);
        },
      },
      metrics: false,
    });

  /** Whether the group's committed offsets equal the high watermarks (fetchTopicOffsets' `high`). */
  const untilCaughtUp = async (group: string, topic: string, what: string): Promise<void> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const [ends, committed] = await Promise.all([h.endOffsets(topic), h.committedOffsets(group, topic)]);
      if ([...ends].every(([partition, end]) => committed.get(partition) === end)) return;
      assert.ok(
        Date.now() < deadline,
        `${what}: committed ${[...committed].join(' ')} vs high watermarks ${[...ends].join(' ')}`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  /** One delivery's scenario; the two run side by side (a runtime's stop alone takes seconds). */
  const scenario = async (delivery: (typeof DELIVERIES)[number]): Promise<void> => {
    const topic = await h.topic('it.stream.control.in', 2);
    const stuck = await h.topic('it.stream.control.stuck', 1);
    const group = uniqueName(`it.stream.control.${delivery}`);
    h.track(`${group}.dlq`);
    for (let t = 0; t < 3; t++) await transaction(topic, `c${t}`, 10);
    // The partitions end in an aborted transaction: its records and its abort marker.
    await transaction(topic, 'aborted', 10, false);
    await transaction(stuck, 'a', 10);
    await transaction(stuck, 'b', 10);
    // Where an earlier version left a caught-up group: after its last record, on the commit marker.
    // A fetch from there holds the marker only, which kafkajs hands to no eachBatch.
    // Its end once both commit markers are in: the coordinator writes a marker after EndTxn has
    // answered, and an end read before it (the open transaction's first offset) would place the
    // group before the second transaction's records.
    const end = 2n * 11n;
    await until(
      async () => (await h.endOffsets(stuck)).get(0) === end,
      10_000,
      'both commit markers written',
    );
    await h.setCommittedOffset(group, stuck, 0, end - 1n);
    const seen: string[] = [];
    const runtime = runtimeOn(group, [topic, stuck], delivery, seen);
    // Distinct records: the collecting processor's side effect is outside any transaction, so a
    // rebalance may hand it a record again under either delivery; that is not what this suite tests.
    const processed = (count: number, what: string) =>
      eventually(() => new Set(seen).size >= count, 30_000, what).catch((error: Error) => {
        throw new Error(`${error.message}: ${describeRun(runtime, seen)}`);
      });
    await runtime.start();
    try {
      await processed(30, `${delivery}: the committed records processed`);
      await untilCaughtUp(group, topic, `${delivery}: after the first transactions`);
      await untilCaughtUp(group, stuck, `${delivery}: from the commit marker`);
      assert.ok(
        runtime.partitionProgress().every((p) => p.lag === 0n),
        describeRun(runtime, seen),
      );
      // More transactions while it runs: it catches up to the new ends too.
      await transaction(topic, 'late', 10);
      await processed(40, `${delivery}: the late transaction processed`);
      await untilCaughtUp(group, topic, `${delivery}: after the late transaction`);
      assert.deepEqual(
        seen.filter((v) => !v.startsWith(`${topic}/c`) && !v.startsWith(`${topic}/late`)),
        [],
        `${delivery}: neither an aborted record nor one before the marker processed`,
      );
    } finally {
      await runtime.stop();
    }
  };

  /** What a failed wait saw: the records processed so far and the runtime's partitions. */
  const describeRun = (runtime: StreamRuntime, seen: readonly string[]): string =>
    `${seen.length} processed (${new Set(seen).size} distinct), partitions ` +
    JSON.stringify(runtime.partitionProgress(), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

  it("a caught-up group's lag reaches 0 on transactional topics (both deliveries)", { timeout: 60_000 }, () =>
    Promise.all(DELIVERIES.map(scenario)).then(() => undefined),
  );
});
