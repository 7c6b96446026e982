// Windowed counts under kill -9 (issue #27): `node main.js` runs unwrap + aggregate (tumbling 10 s
// windows on an event-time field, grace 5 s, emit final) over keyed change events with a few late
// records, and is killed with SIGKILL in each of five rounds of input. The final results read
// committed must equal a reference computed from the input topic itself (its partitions in offset
// order, the same stream-time rule): every closed window once, with its exact count; every record
// later than the grace period in the DLQ, with the class LateRecordError.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { RecordDecoder } from '@sluice/schema';
import { readCommitted, uniqueName, untilConsumed } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  kafkaConfig,
  readAllDecoded,
  registry,
  startTransformer,
  untilLeaders,
} from './transformer/transformer-harness';

const KEYS = 40;
const ROUNDS = 5;
const PER_ROUND = 2_000;
const SIZE = 10_000;
const GRACE = 5_000;

/** Record j: key id j % KEYS, event time 50 ms apart; every 97th is 20 s late (beyond grace). */
const eventTime = (j: number): number => 1_000_000 + j * 50 - (j % 97 === 96 ? 20_000 : 0);

describe('transformer: windowed counts exactly once across kill -9', () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  const children: ChildProcess[] = [];
  const name = uniqueName('it-tr-agg')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const input = uniqueName('it.tr.agg.in');
  const output = uniqueName('it.tr.agg.out');
  const group = uniqueName('it.tr.agg.group');

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 4, replicationFactor: 1 }]);
    await untilLeaders(admin, input);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await admin
      .deleteTopics({ topics: [input, output, `${group}-counts-changelog`, `${group}.dlq`] })
      .catch(() => undefined);
    await admin.disconnect();
  });

  const committedInput = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
    return offsets!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };

  /** The reference: each partition of the input in offset order, stream time = max event time seen. */
  async function reference(): Promise<{ finals: string[]; late: number }> {
    const decoder = new RecordDecoder(registry);
    const finals: string[] = [];
    let late = 0;
    for (const records of (await readCommitted(kafka, input)).values()) {
      let streamTime = -Infinity;
      const open = new Map<string, number>(); // `${start}|${group}` → count
      for (const r of records) {
        const key = (await decoder.decode<{ id: number }>(r.key!)).value;
        const value = (await decoder.decode<{ after: { total: number } }>(r.value!)).value;
        const t = value.after.total;
        const groupKey = JSON.stringify({ id: key.id });
        streamTime = Math.max(streamTime, t);
        const start = Math.floor(t / SIZE) * SIZE;
        for (const [w, n] of open) {
          const s = Number(w.split('|')[0]);
          if (s + SIZE + GRACE <= streamTime) {
            finals.push(`${w}|${n}`);
            open.delete(w);
          }
        }
        if (start + SIZE + GRACE <= streamTime) late += 1;
        else open.set(`${start}|${groupKey}`, (open.get(`${start}|${groupKey}`) ?? 0) + 1);
      }
    }
    return { finals: finals.sort(), late };
  }

  it(
    `${ROUNDS * PER_ROUND} records in ${ROUNDS} rounds, a kill -9 in each: final counts equal the reference`,
    { timeout: 120_000 },
    async () => {
      const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
      const dir = mkdtempSync(join(tmpdir(), 'sluice-aggregate-'));
      const pipeline = join(dir, 'pipeline.yaml');
      writeFileSync(
        pipeline,
        [
          `name: ${name}`,
          `from: { topics: [${input}] }`,
          `to: ${output}`,
          `groupId: ${group}`,
          'steps:',
          '  - unwrap: {}',
          // The test's event time travels in `total` (epoch ms).
          `  - aggregate: { time: total, window: { size: ${SIZE}, grace: ${GRACE} }, aggregations: { n: count }, store: counts }`,
          '',
        ].join('\n'),
      );
      const startChild = () => {
        const child = startTransformer(
          appConfig(pipeline, {
            logging: { level: 'error' },
            runtime: {
              concurrency: { partitions: 1 },
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
      for (let r = 0; r < ROUNDS; r++) {
        const round = [];
        for (let j = r * PER_ROUND; j < (r + 1) * PER_ROUND; j++)
          round.push(await writer.encode({ id: j % KEYS, email: null, region: null, total: eventTime(j) }));
        const child = startChild();
        await writer.write(round);
        const target = r * PER_ROUND + PER_ROUND / 2;
        while ((await committedInput()) < target) {
          assert.equal(child.exitCode, null, 'the transformer runs until killed');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        committed.push(await committedInput());
      }
      const last = startChild();
      await untilConsumed(admin, group, input, 90_000);
      const exited = new Promise((r) => last.once('exit', (c: number | null) => r(c)));
      last.kill('SIGTERM');

      const expected = await reference();
      const seen = await readAllDecoded(kafka, [output]);
      const finals = seen
        .map((o) => {
          const v = o.value!;
          assert.equal(v.final, true);
          return `${v.window_start}|${v.group}|${v.n}`;
        })
        .sort();
      assert.ok(expected.finals.length > 100, `windows closed: ${expected.finals.length}`);
      assert.equal(finals.length, expected.finals.length, 'as many window results as closed windows');
      assert.deepEqual(finals, expected.finals, 'each closed window once, with its exact count');

      const dlq = [...(await readCommitted(kafka, `${group}.dlq`)).values()].flat();
      assert.equal(
        dlq.length,
        expected.late,
        `late records in the DLQ (committed at kills: ${committed.join(', ')})`,
      );
      for (const r of dlq)
        assert.equal(r.headers!['__connect.errors.exception.class.name']?.toString(), 'LateRecordError');
      assert.equal(await exited, 0, 'SIGTERM drains, commits and exits 0');
    },
  );
});
