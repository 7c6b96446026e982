// A runtime stopped while kafkajs rejoins its crashed consumer (the broker away) stays stopped: once
// the broker is back, no member of its group comes back to hold the partitions. kafkajs's
// consumer.stop() used to let go of a runner still joining, which then joined for a stopped owner
// and held its partitions unprocessed (a chaos run: the transformer's replaced runtime kept one of
// two input partitions for minutes). On a broker of its own, which the test stops and starts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin } from 'kafkajs';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { type LocalStack } from '@sluice/stack';
import { parseStreamRuntimeConfig, StreamRuntime } from '@sluice/stream';
import { uniqueName, until } from '@sluice/test-support';
import { privateKafka } from '../observability/observability-harness';

const SESSION_TIMEOUT_MS = 10_000;

describe('stream runtime: stopped while its consumer rejoins after a crash', () => {
  const topic = uniqueName('it.stream.rejoin.in');
  const group = uniqueName('it.stream.rejoin.group');
  let stack: LocalStack | undefined;
  let brokers: string[] = [];
  let admin: Admin | undefined;

  before(async () => {
    const started = await privateKafka();
    stack = started.stack;
    brokers = started.brokers;
    admin = createKafkaClient(
      kafkaConfigSchema.parse({ brokers, clientId: 'sluice-it-rejoin-admin', logLevel: 'nothing' }),
    ).admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 2, replicationFactor: 1 }]);
  });

  after(async () => {
    await admin?.disconnect().catch(() => undefined);
    await stack?.down(['kafka'], { purge: true });
  });

  it('no member of its group after the broker is back', { timeout: 240_000 }, async () => {
    // kafkajs logs each restart of its crashed consumer ("Restarting the consumer in <ms>"): the
    // stop is timed to land while the restarted consumer joins.
    const restarts: number[] = [];
    const logCreator = () => (entry: { log: { message?: string; retryTime?: number } }) => {
      if (entry.log.message?.startsWith('Restarting the consumer')) restarts.push(entry.log.retryTime ?? 0);
    };
    const runtime = new StreamRuntime({
      kafka: kafkaConfigSchema.parse({ brokers, clientId: 'sluice-it-rejoin', logLevel: 'error' }),
      kafkaClient: { logCreator },
      config: parseStreamRuntimeConfig({
        group,
        topics: [topic],
        delivery: 'at-least-once',
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
      }),
      processor: { name: 'Nothing', process: () => [] },
    });
    try {
      await runtime.start();
      await until(() => runtime.membership() === 'member', 60_000, 'the runtime to join its group');

      await stack!.down(['kafka']);
      // The consumer crashes when its retries run out, and kafkajs restarts it after a wait (a new
      // join, retried while the broker is away): the stop comes just after a restart began.
      await until(() => restarts.length > 0, 120_000, 'kafkajs to restart its crashed consumer');
      await sleep(restarts[0]! + 500);
    } finally {
      await runtime.stop();
    }
    const restartsAtStop = restarts.length;
    assert.equal((await stack!.up(['kafka'])).kafka, 'started');

    // Long enough for a join still under way to reach the broker and settle in the group (and for
    // the stopped member's own session to expire).
    await sleep(SESSION_TIMEOUT_MS + 15_000);
    const described = await admin!.describeGroups([group]);
    const members = described.groups[0]?.members ?? [];
    assert.deepEqual(
      members.map((m) => m.clientId),
      [],
      `members of ${group} after its runtime stopped: ${members.length}`,
    );
    assert.equal(restarts.length, restartsAtStop, 'kafkajs restarted no consumer after the stop');
  });
});
