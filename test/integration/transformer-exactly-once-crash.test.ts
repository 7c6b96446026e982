// Exactly-once across crashes, through the whole app: `node main.js` running the unwrap + mask +
// route pipeline over Avro change events is killed with SIGKILL several times while it works; once a
// last run has consumed the whole input, the three output topics read committed to their end offsets
// hold each input exactly once.
// Issue #5 asks for 200,000 records; the suite uses 30,000 so it finishes in a minute or two on the
// shared 2-core machine (the property does not depend on the count; the benchmark runs 200,000).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { deleteTopicsIfPresent, uniqueName, untilConsumed } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  kafkaConfig,
  orderRow,
  readAllDecoded,
  startTransformer,
  untilGroupMembers,
  untilLeaders,
  writePipeline,
} from './transformer/transformer-harness';

const N = 30_000;
const KILLS = 3;

describe('transformer: exactly-once across kill -9', () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  const children: ChildProcess[] = [];
  const name = uniqueName('it-tr-eos')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const input = uniqueName('it.tr.eos.in');
  const t = {
    eu: uniqueName('it.tr.eos.eu'),
    na: uniqueName('it.tr.eos.na'),
    other: uniqueName('it.tr.eos.other'),
  };
  const group = uniqueName('it.tr.eos.group');

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 4, replicationFactor: 1 }]);
    await untilLeaders(admin, input);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteTopicsIfPresent(admin, [input, t.eu, t.na, t.other, `${group}.dlq`, `${group}.dlq.parked`]);
    await admin.disconnect();
  });

  const outputSize = async (): Promise<number> => {
    const existing = new Set(await admin.listTopics());
    let sum = 0;
    for (const topic of [t.eu, t.na, t.other].filter((x) => existing.has(x))) {
      // A topic the app just created may have no leader yet: count it next time.
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      for (const p of offsets) sum += Number(p.high) - Number(p.low);
    }
    return sum;
  };

  it(
    `each of ${N} inputs is seen once by a read_committed consumer after ${KILLS} kill -9`,
    { timeout: 300_000 },
    async () => {
      const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
      const records = [];
      for (let i = 0; i < N; i++) records.push(await writer.encode(orderRow(i)));
      await writer.write(records);
      const pipeline = writePipeline({ name, input, group, ...t });
      const startChild = () => {
        // One partition and one key at a time, so the run lasts long enough to be killed mid-way.
        const child = startTransformer(
          appConfig(pipeline, {
            logging: { level: 'error' },
            runtime: {
              concurrency: { partitions: 1, keysPerPartition: 1 },
              sessionTimeoutMs: 6_000,
              heartbeatIntervalMs: 1_000,
              revokeTimeoutMs: 2_000,
            },
          }),
        );
        children.push(child);
        return child;
      };
      const committed: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const child = startChild();
        const target = ((kill + 1) * N) / (KILLS + 2);
        while ((await outputSize()) < target) {
          assert.equal(child.exitCode, null, 'the transformer runs until killed');
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, kill * 30));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
        committed.push(offsets!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0));
      }
      assert.ok(
        committed.some((c) => c > 0 && c < N),
        `committed after each kill: ${committed.join(', ')}`,
      );
      const last = startChild();
      // Joined first: the killed process may have committed the whole input already.
      await untilGroupMembers(admin, group, 1);
      await untilConsumed(admin, group, input, 180_000);
      last.kill('SIGTERM');
      const code = await new Promise((r) => last.once('exit', (c: number | null) => r(c)));
      assert.equal(code, 0, 'SIGTERM drains, commits and exits 0');
      // The whole output, not the first N records to arrive: a duplicate anywhere makes it N + 1.
      const seen = await readAllDecoded(kafka, [t.eu, t.na, t.other]);
      const ids = seen.map((o) => Number(o.value!.id));
      assert.equal(new Set(ids).size, N, 'every input arrived');
      assert.equal(ids.length, N, 'no input arrived twice');
    },
  );
});
