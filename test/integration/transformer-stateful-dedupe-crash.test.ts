// Stateful exactly-once across crashes (issue #27): `node main.js` running unwrap + dedupe over Avro
// change events in which every order id comes four times, in four rounds, is killed with SIGKILL
// in each round while it works. The dedupe state lives in memory and in its compacted
// changelog, written in the same transaction as the outputs and offsets; each new process restores
// it before processing. Once a last run consumed the input, the output (read committed) holds each
// id exactly once — a lost or half-restored state would let a later copy through — and the
// changelog read committed holds exactly the ids of the output. Then a process started with no new
// input restores every partition's store as the partition is assigned (not at a first batch that
// never comes), and /status shows it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { deleteTopicsIfPresent, readCommitted, uniqueName, untilConsumed } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  freePort,
  kafkaConfig,
  orderRow,
  readAllDecoded,
  startTransformer,
  untilGroupMembers,
  untilLeaders,
  untilReady,
} from './transformer/transformer-harness';

const DISTINCT = 4_000;
const COPIES = 4;
const N = DISTINCT * COPIES;

describe('transformer: dedupe state exactly once across kill -9', () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  const children: ChildProcess[] = [];
  const name = uniqueName('it-tr-dedupe')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const input = uniqueName('it.tr.dedupe.in');
  const output = uniqueName('it.tr.dedupe.out');
  const group = uniqueName('it.tr.dedupe.group');
  const changelog = `${group}-seen-changelog`;
  const pipeline = join(mkdtempSync(join(tmpdir(), 'sluice-dedupe-')), 'pipeline.yaml');

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 4, replicationFactor: 1 }]);
    await untilLeaders(admin, input);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteTopicsIfPresent(admin, [input, output, changelog, `${group}.dlq`]);
    await admin.disconnect();
  });

  const committedInput = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [input] });
    return offsets!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  };

  it(
    `${N} inputs of ${DISTINCT} ids: each id once in the output after ${COPIES} kill -9, the changelog agrees`,
    { timeout: 120_000 },
    async () => {
      const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
      const round = [];
      for (let i = 0; i < DISTINCT; i++) round.push(await writer.encode(orderRow(i)));
      writeFileSync(
        pipeline,
        [
          `name: ${name}`,
          `from: { topics: [${input}] }`,
          `to: ${output}`,
          `groupId: ${group}`,
          'steps:',
          '  - unwrap: {}',
          '  - dedupe: { within: 1h, store: seen }',
          '',
        ].join('\n'),
      );
      const startChild = (port?: number) => {
        const child = startTransformer(
          appConfig(pipeline, {
            logging: { level: 'error' },
            ...(port !== undefined ? { http: { host: '127.0.0.1', port } } : {}),
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
      // Round by round, each id once per round: a process starts, the round is written, the
      // process is killed -9 once part of it is committed (or all of it: a batch can be the whole
      // round). The next process has only the changelog to know the ids of the rounds before.
      const committed: number[] = [];
      for (let r = 0; r < COPIES; r++) {
        const child = startChild();
        await writer.write(round);
        const target = r * DISTINCT + DISTINCT / 2;
        while ((await committedInput()) < target) {
          assert.equal(child.exitCode, null, 'the transformer runs until killed');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        committed.push(await committedInput());
      }
      assert.ok(
        committed.every((c, r) => c > r * DISTINCT),
        `committed after each kill: ${committed.join(', ')}`,
      );
      const lastPort = await freePort();
      const last = startChild(lastPort);
      // Ready first (its SIGTERM handler installed, a member): the killed process may have committed
      // the whole input already, and its membership outlives it until the session times out.
      await untilReady(`http://127.0.0.1:${lastPort}/health/ready`);
      await untilGroupMembers(admin, group, 1);
      await untilConsumed(admin, group, input, 90_000);
      const exited = new Promise((r) => last.once('exit', (c: number | null) => r(c)));
      last.kill('SIGTERM');

      const seen = await readAllDecoded(kafka, [output]);
      const ids = seen.map((o) => Number(o.value!.id));
      assert.equal(new Set(ids).size, DISTINCT, 'every id arrived');
      assert.equal(ids.length, DISTINCT, 'no id arrived twice');
      assert.equal(await exited, 0, 'SIGTERM drains, commits and exits 0');

      // The changelog, read committed and compacted in the reader's eye: the ids let through.
      const state = new Map<string, string | null>();
      for (const rs of (await readCommitted(kafka, changelog)).values())
        for (const r of rs) state.set(r.key!.toString('utf8'), r.value ? r.value.toString('utf8') : null);
      const keys = [...state].filter(([k, v]) => v !== null && !k.startsWith('\u0000')).length;
      assert.equal(
        keys,
        DISTINCT,
        'the changelog holds each id let through, nothing of aborted transactions',
      );
    },
  );

  it(
    "a process given no new input restores each partition's store on assignment; /status shows every partition restored",
    { timeout: 60_000 },
    async () => {
      const before = await committedInput();
      const changelogRecords = [...(await readCommitted(kafka, changelog)).values()].flat().length;
      const port = await freePort();
      const child = startTransformer(
        appConfig(pipeline, {
          http: { host: '127.0.0.1', port },
          logging: { level: 'error' },
          runtime: { concurrency: { partitions: 1 }, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 },
        }),
      );
      children.push(child);
      await untilReady(`http://127.0.0.1:${port}/health/ready`);
      type Restore = { partition: number; restoredRecords: number; done: boolean };
      let stores: Restore[] = [];
      const deadline = Date.now() + 45_000;
      while (!(stores.length === 4 && stores.every((s) => s.done))) {
        assert.ok(Date.now() < deadline, `restores not done: ${JSON.stringify(stores)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
          stateStores?: Restore[];
        };
        stores = status.stateStores ?? [];
      }
      assert.deepEqual(
        stores.map((s) => s.partition).sort(),
        [0, 1, 2, 3],
        'every assigned partition restored, though none had a record to process',
      );
      assert.ok(
        stores.every((s) => s.restoredRecords > 0),
        `each partition's changelog read: ${JSON.stringify(stores)}`,
      );
      assert.equal(
        stores.reduce((n, s) => n + s.restoredRecords, 0),
        changelogRecords,
        'the whole changelog, read committed',
      );
      assert.equal(await committedInput(), before, 'no input was there to process');
      const exited = new Promise((r) => child.once('exit', (c: number | null) => r(c)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    },
  );
});
