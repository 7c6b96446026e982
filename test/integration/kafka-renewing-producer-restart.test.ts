// A RenewingProducer shared by concurrent senders, its broker restarted while they send: every
// sender gets through (no send refused for ever with OUT_OF_ORDER_SEQUENCE_NUMBER) and every
// acknowledged record is in the topic (none dropped as a duplicate of a lost request). A send that
// fails is sent again, as an at-least-once caller does, so copies are allowed; losses are not.
// Usually kafkajs's own retries carry every send through the restart (no send fails, nothing is
// renewed: the diagnostic line says which); the renewal itself is covered by the unit spec with
// fake producers, since a request the broker appended but never answered cannot be staged at will.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Kafka } from 'kafkajs';
import {
  createKafkaClient,
  createProducer,
  kafkaConfigSchema,
  RenewingProducer,
  TopicProvisioner,
} from '@sluice/kafka';
import { type LocalStack } from '@sluice/stack';
import { readCommitted, uniqueName } from '@sluice/test-support';
import { privateKafka } from './observability/observability-harness';

const SENDERS = 4;
const BATCHES = 30;
const RECORDS = 20;
/** Attempts of one batch before the sender gives up: far more than a restart needs. */
const MAX_ATTEMPTS = 30;

describe('RenewingProducer: the broker restarted mid-send', () => {
  const topic = uniqueName('it.kafka.renewing');
  let stack: LocalStack | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let producer: RenewingProducer | undefined;

  before(async () => {
    const started = await privateKafka();
    stack = started.stack;
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: started.brokers, clientId: 'sluice-it-renewing' }),
    );
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 3, replicationFactor: 1 }]);
  });

  after(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await stack?.down(['kafka'], { purge: true });
  });

  it(
    'every sender gets through and every acknowledged record is in the topic',
    { timeout: 240_000 },
    async (t) => {
      const renewing = new RenewingProducer(() => createProducer(kafka));
      producer = renewing;
      await renewing.connect();
      const acknowledged = new Set<string>();
      const failures: string[] = [];
      let restart: Promise<void> | undefined;
      let restartState = 'not begun';
      const restartBroker = async () => {
        restartState = 'stopping the broker';
        await stack!.down(['kafka']);
        restartState = 'broker stopped';
        await sleep(3_000);
        restartState = 'starting the broker';
        assert.equal((await stack!.up(['kafka'])).kafka, 'started');
        restartState = 'broker started again';
      };

      let outDuringRestart = 0;
      let afterRestart = 0;
      const sender = async (id: number) => {
        // At least BATCHES each, and on until some went out after the broker came back.
        const restartOver = () =>
          restartState === 'broker started again' || restartState.startsWith('failed');
        for (let batch = 0; batch < BATCHES || !restartOver(); batch++) {
          // Mid-send: the other senders' requests are out when the broker goes.
          if (id === 0 && batch === 5) {
            restart = restartBroker().catch((error: unknown) => {
              restartState = `failed: ${(error as Error).message}`;
              throw error;
            });
            void restart.catch(() => undefined); // awaited after the senders
          }
          const values = Array.from({ length: RECORDS }, (_, i) => `s${id}-b${batch}-r${i}`);
          for (let attempt = 1; ; attempt++) {
            const sentWhile = restartState;
            try {
              await renewing.sendBatch({
                topicMessages: [{ topic, messages: values.map((value, i) => ({ key: `k${i % 7}`, value })) }],
                acks: -1,
              });
              for (const v of values) acknowledged.add(v);
              if (sentWhile === 'broker started again') afterRestart += 1;
              else if (sentWhile !== 'not begun') outDuringRestart += 1;
              break;
            } catch (error) {
              failures.push(`s${id}-b${batch}: ${(error as Error).message}`);
              if (attempt === MAX_ATTEMPTS)
                throw new Error(
                  `sender ${id} gave up batch ${batch} (restart: ${restartState}); failures: ${failures.join('; ')}`,
                  { cause: error },
                );
              await sleep(500);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: SENDERS }, (_, id) => sender(id)));
      await restart;

      t.diagnostic(
        `batches out while the broker was away: ${outDuringRestart}, sent after: ${afterRestart}, ` +
          `failed sends: ${failures.length}, renewals: ${renewing.renewals}`,
      );
      assert.ok(outDuringRestart > 0, 'some batches were sent while the broker was stopping or stopped');
      assert.ok(afterRestart > 0, 'some batches were sent after the broker was back');
      assert.ok(acknowledged.size >= SENDERS * BATCHES * RECORDS, 'every batch was acknowledged in the end');
      const written = new Set<string>();
      for (const records of (await readCommitted(kafka, topic)).values())
        for (const r of records) written.add(String(r.value));
      const missing = [...acknowledged].filter((v) => !written.has(v));
      assert.deepEqual(
        missing.slice(0, 10),
        [],
        `${missing.length} acknowledged records are not in the topic (renewals: ${renewing.renewals}; failures: ${failures.join('; ')})`,
      );
    },
  );
});
