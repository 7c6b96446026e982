// Windowed counts under kill -9 (issue #27): `node main.js` runs unwrap + aggregate (tumbling 10 s
// windows on an event-time field, grace 5 s, emit final) over keyed change events with a few late
// records, and is killed with SIGKILL in each of five rounds of input. The final results read
// committed must equal a reference computed from the input topic itself (its partitions in offset
// order, the same stream-time rule): every closed window once, with its exact count; every record
// later than the grace period in the DLQ, with the class LateRecordError. The same with two replicas:
// a second joins mid-run (partitions and their windows move to it), then the first leaves. And the
// kill -9 rounds once more (smaller) with the store on disk (`state: { storage: disk }`, LMDB under
// runtime.stateDir): what a killed process left on disk is discarded, the changelog rebuilds it.
// And the rebalance once more with standby replicas: the replica that takes partitions over has
// followed their changelogs and reads only the tail it had not seen.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { RecordDecoder } from '@sluice/schema';
import { deleteTopicsIfPresent, readCommitted, uniqueName, untilConsumed } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  freePort,
  kafkaConfig,
  readAllDecoded,
  registry,
  startTransformer,
  untilGroupMembers,
  untilLeaders,
  untilReady,
} from './transformer/transformer-harness';

const KEYS = 40;
const SIZE = 10_000;
const GRACE = 5_000;

/** Record j: key id j % KEYS, event time 50 ms apart; every 97th is 20 s late (beyond grace). */
const eventTime = (j: number): number => 1_000_000 + j * 50 - (j % 97 === 96 ? 20_000 : 0);

/**
 * One run of the windowed count: its own input, output and group, the pipeline file, the
 * transformer processes it started, and the reference computed from its input.
 */
class WindowedCounts {
  /** `storage`: where the aggregate keeps its store; `perRound`: records written per round. */
  constructor(
    readonly storage: 'memory' | 'disk' = 'memory',
    readonly perRound = 2_000,
  ) {}

  readonly kafka = createKafkaClient(kafkaConfig);
  admin!: Admin;
  readonly children: ChildProcess[] = [];
  readonly input = uniqueName('it.tr.agg.in');
  readonly output = uniqueName('it.tr.agg.out');
  readonly group = uniqueName('it.tr.agg.group');
  readonly writer = new ChangeEventWriter(this.kafka, this.input, 'it.public.orders');
  private pipeline = '';
  /** runtime.stateDir of every process of this run (a disk store). */
  readonly stateDir = mkdtempSync(join(tmpdir(), 'sluice-aggregate-state-'));

  async setUp(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await new TopicProvisioner(this.admin).provision([
      { name: this.input, partitions: 4, replicationFactor: 1 },
    ]);
    await untilLeaders(this.admin, this.input);
    const name = uniqueName('it-tr-agg')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    this.pipeline = join(mkdtempSync(join(tmpdir(), 'sluice-aggregate-')), 'pipeline.yaml');
    writeFileSync(
      this.pipeline,
      [
        `name: ${name}`,
        `from: { topics: [${this.input}] }`,
        `to: ${this.output}`,
        `groupId: ${this.group}`,
        ...(this.storage === 'disk' ? ['state: { storage: disk }'] : []),
        'steps:',
        '  - unwrap: {}',
        // The test's event time travels in `total` (epoch ms).
        `  - aggregate: { time: total, window: { size: ${SIZE}, grace: ${GRACE} }, aggregations: { n: count }, store: counts }`,
        '',
      ].join('\n'),
    );
  }

  async tearDown(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await deleteTopicsIfPresent(this.admin, [
      this.input,
      this.output,
      `${this.group}-counts-changelog`,
      `${this.group}.dlq`,
    ]);
    await this.admin.disconnect();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** The partition folders of the on-disk store (`<stateDir>/<group>/<input>-<p>/`). */
  diskPartitions(): string[] {
    const dir = join(this.stateDir, this.group);
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${this.input}-`)) : [];
  }

  /**
   * `port`: serve /status there; `standbyReplicas`: keep warm copies of the other members'
   * partitions; `ownStateDir`: a state directory of its own under `stateDir` (replicas side by side).
   */
  startChild(
    options: { port?: number; standbyReplicas?: boolean; ownStateDir?: boolean } = {},
  ): ChildProcess {
    const child = startTransformer(
      appConfig(this.pipeline, {
        logging: { level: 'error' },
        ...(options.port !== undefined ? { http: { host: '127.0.0.1', port: options.port } } : {}),
        runtime: {
          ...(options.standbyReplicas ? { standbyReplicas: true } : {}),
          concurrency: { partitions: 1 },
          sessionTimeoutMs: 6_000,
          heartbeatIntervalMs: 1_000,
          revokeTimeoutMs: 2_000,
          stateDir: options.ownStateDir
            ? join(this.stateDir, `replica-${this.children.length}`)
            : this.stateDir,
        },
      }),
    );
    this.children.push(child);
    return child;
  }

  /** Writes round `r` of the input (`perRound` records). */
  async writeRound(r: number): Promise<void> {
    const round = [];
    for (let j = r * this.perRound; j < (r + 1) * this.perRound; j++)
      round.push(await this.writer.encode({ id: j % KEYS, email: null, region: null, total: eventTime(j) }));
    await this.writer.write(round);
  }

  async committedInput(): Promise<number> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.group, topics: [this.input] });
    return offsets!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
  }

  /** Waits until the group committed `target` input records, failing if `child` exits first. */
  async untilCommitted(target: number, child: ChildProcess): Promise<void> {
    while ((await this.committedInput()) < target) {
      assert.equal(child.exitCode, null, 'the transformer runs');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The reference: each partition of the input in offset order, stream time = max event time seen. */
  async reference(): Promise<{ finals: string[]; late: number }> {
    const decoder = new RecordDecoder(registry);
    const finals: string[] = [];
    let late = 0;
    for (const records of (await readCommitted(this.kafka, this.input)).values()) {
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

  /** The output and the DLQ, read committed, equal the reference: each closed window once, exact. */
  async assertMatchesReference(context: string): Promise<void> {
    const expected = await this.reference();
    const seen = await readAllDecoded(this.kafka, [this.output]);
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

    const dlq = [...(await readCommitted(this.kafka, `${this.group}.dlq`)).values()].flat();
    assert.equal(dlq.length, expected.late, `late records in the DLQ (${context})`);
    for (const r of dlq)
      assert.equal(r.headers!['__connect.errors.exception.class.name']?.toString(), 'LateRecordError');
  }
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c: number | null) => r(c)),
  );

/** Rounds of input, a kill -9 of the transformer in each, then a last process drains and stops. */
function killRounds(storage: 'memory' | 'disk', rounds: number, perRound: number): void {
  describe(`transformer: windowed counts exactly once across kill -9 (${storage} store)`, () => {
    const bed = new WindowedCounts(storage, perRound);
    before(() => bed.setUp());
    after(() => bed.tearDown());

    it(
      `${rounds * perRound} records in ${rounds} rounds, a kill -9 in each: final counts equal the reference` +
        (storage === 'disk' ? '; the store lives in stateDir while running, removed at stop' : ''),
      { timeout: 120_000 },
      async () => {
        const committed: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const child = bed.startChild();
          await bed.writeRound(r);
          await bed.untilCommitted(r * perRound + perRound / 2, child);
          child.kill('SIGKILL');
          await exitOf(child);
          committed.push(await bed.committedInput());
        }
        const lastPort = await freePort();
        const last = bed.startChild({ port: lastPort });
        // Ready first (its SIGTERM handler installed, a member): the killed process may have committed
        // the whole input already, and its membership outlives it until the session times out.
        await untilReady(`http://127.0.0.1:${lastPort}/health/ready`);
        await untilGroupMembers(bed.admin, bed.group, 1);
        await untilConsumed(bed.admin, bed.group, bed.input, 90_000);
        if (storage === 'disk')
          assert.deepEqual(
            bed.diskPartitions().sort(),
            [0, 1, 2, 3].map((p) => `${bed.input}-${p}`),
            'one LMDB folder per assigned partition under stateDir/<group>',
          );
        const exited = exitOf(last);
        last.kill('SIGTERM');
        await bed.assertMatchesReference(`committed at kills: ${committed.join(', ')}`);
        assert.equal(await exited, 0, 'SIGTERM drains, commits and exits 0');
        if (storage === 'disk')
          assert.deepEqual(
            bed.diskPartitions(),
            [],
            'the folders are removed when the partitions are given up',
          );
      },
    );
  });
}

killRounds('memory', 5, 2_000);
killRounds('disk', 3, 1_000);

interface RestoreStatus {
  assignedPartitions: Array<{ partition: number }>;
  standbyStores?: Array<{ partition: number; store: string; followedTo: number }>;
  stateStores?: Array<{ partition: number; restoredRecords: number; done: boolean }>;
}

const statusOf = async (port: number): Promise<RestoreStatus> =>
  (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as RestoreStatus;

/** Committed changelog records of each partition of the store `counts`. */
async function changelogSizes(bed: WindowedCounts): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  for (const [partition, records] of await readCommitted(bed.kafka, `${bed.group}-counts-changelog`))
    sizes.set(partition, records.length);
  return sizes;
}

function rebalance(standbyReplicas: boolean, storage: 'memory' | 'disk' = 'memory'): void {
  describe(`transformer: windowed counts across a rebalance between two replicas${standbyReplicas ? ` with standby replicas (${storage} store)` : ''}`, () => {
    const bed = new WindowedCounts(storage);
    before(() => bed.setUp());
    after(() => bed.tearDown());

    it(
      'a second replica joins mid-run and the first leaves: state moves with its partitions, counts equal the reference' +
        (standbyReplicas ? "; the second, following the first's changelogs, restores only their tails" : ''),
      { timeout: 120_000 },
      async () => {
        const first = bed.startChild({ standbyReplicas, ownStateDir: true });
        await bed.writeRound(0);
        await bed.writeRound(1);
        await bed.untilCommitted(bed.perRound, first);
        // A second replica joins: partitions (and their windows) move to it, restored from the changelog.
        const port = await freePort();
        const second = bed.startChild({ standbyReplicas, port, ownStateDir: true });
        await untilGroupMembers(bed.admin, bed.group, 2);
        await bed.writeRound(2);
        await bed.writeRound(3);
        await bed.untilCommitted(3 * bed.perRound, second);
        await untilReady(`http://127.0.0.1:${port}/health/ready`);
        const before = await statusOf(port);
        const own = new Set(before.assignedPartitions.map((p) => p.partition));
        if (standbyReplicas)
          assert.deepEqual(
            (before.standbyStores ?? []).map((s) => s.partition).sort(),
            [0, 1, 2, 3].filter((p) => !own.has(p)),
            `/status lists a warm copy of each partition the first owns: ${JSON.stringify(before.standbyStores)}`,
          );
        // The first leaves: the second takes every partition back, windows open in the first included.
        const firstExit = exitOf(first);
        first.kill('SIGTERM');
        assert.equal(await firstExit, 0, 'the first replica drains, commits and exits 0');
        await bed.writeRound(4);
        await untilConsumed(bed.admin, bed.group, bed.input, 90_000);
        if (standbyReplicas) {
          const sizes = await changelogSizes(bed);
          const taken = ((await statusOf(port)).stateStores ?? []).filter((s) => !own.has(s.partition));
          assert.ok(taken.length > 0 && own.size > 0, `partitions taken over: ${JSON.stringify(taken)}`);
          for (const s of taken) {
            assert.equal(s.done, true);
            assert.ok(
              s.restoredRecords < (sizes.get(s.partition) ?? 0) / 2,
              `partition ${s.partition}: a catch-up of ${s.restoredRecords} of ${sizes.get(s.partition)} changelog records`,
            );
          }
        }
        const secondExit = exitOf(second);
        second.kill('SIGTERM');
        await bed.assertMatchesReference('after a join and a leave');
        assert.equal(await secondExit, 0, 'SIGTERM drains, commits and exits 0');
      },
    );
  });
}

rebalance(false);
rebalance(true);
rebalance(true, 'disk');
