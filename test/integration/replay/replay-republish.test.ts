// `sluice replay --to-topic` against the real stack, through the real CLI: a time window copied
// exactly (source offsets compared through the replay's headers, per-key order, keys and headers
// kept); a replay killed with SIGKILL mid-way and resumed publishes every record exactly once (read
// committed), and a third run publishes nothing; a run with other settings under the same id is a
// usage error naming the difference.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, type RangeRecord } from '@sluice/kafka';
import { runSluice, uniqueName } from '@sluice/test-support';
import { errorLines, header, ReplayBed, startSluice, until } from './replay-harness';

const PARTITIONS = 3;
const PER_PARTITION = 200;
const KEYS = 11;
// Recent: records older than the topic's retention (7 days by default) would be deleted at once.
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/** Sent in order per key: value `<key>#<seq>`, stamped BASE + seq seconds. */
async function fill(bed: ReplayBed, topic: string): Promise<void> {
  const producer = createProducer(bed.kafka);
  await producer.connect();
  for (let p = 0; p < PARTITIONS; p++) {
    await producer.send({
      topic,
      messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
        partition: p,
        key: `p${p}-k${i % KEYS}`,
        value: `p${p}-k${i % KEYS}#${i}`,
        timestamp: String(BASE + i * 1000),
        headers: { origin: `o${i}`, multi: ['x', 'y'] },
      })),
    });
  }
  await producer.disconnect();
}

const sourceOf = (r: RangeRecord) => header(r, 'sluice.replay.source')!;
const all = (m: Map<number, RangeRecord[]>) => [...m.values()].flat();

describe('sluice replay --to-topic', { timeout: 240_000 }, () => {
  let bed: ReplayBed;
  let source: string;

  before(async () => {
    bed = await ReplayBed.open();
    source = await bed.createTopic(uniqueName('it.replay.src'), PARTITIONS);
    await fill(bed, source);
  });

  after(async () => {
    await bed?.close();
  });

  it('copies exactly a time window: keys, headers and per-key order kept, the replay id on each record', async () => {
    const target = await bed.createTopic(uniqueName('it.replay.window'), PARTITIONS);
    const from = new Date(BASE + 40_000).toISOString();
    const to = new Date(BASE + 150_000).toISOString();
    const run = runSluice(
      [
        'replay',
        '--topic',
        source,
        '--to-topic',
        target,
        '--from-time',
        from,
        '--to-time',
        to,
        '--replay-id',
        uniqueName('w'),
        '-q',
        '-o',
        'json',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      replayId: string;
      status: string;
      published: number;
      partitions: Array<{ partition: number; published: number }>;
    };
    assert.equal(result.status, 'done');
    assert.equal(result.published, PARTITIONS * 110);
    assert.deepEqual(
      result.partitions.map((p) => [p.partition, p.published]),
      [0, 1, 2].map((p) => [p, 110]),
    );

    const copied = await bed.readAll(target);
    const expected = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) for (let i = 40; i < 150; i++) expected.add(`${source}/${p}/${i}`);
    const got = all(copied).map(sourceOf);
    assert.equal(got.length, expected.size, 'no duplicates, nothing missing');
    assert.deepEqual(new Set(got), expected);

    for (const [partition, records] of copied) {
      // Same partition count: each record stays on its partition, in source order.
      const offsets = records.map((r) => Number(sourceOf(r).split('/')[2]));
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
        `partition ${partition} in source order`,
      );
      for (const r of records) {
        const [, p, o] = sourceOf(r).split('/');
        assert.equal(Number(p), partition);
        const i = Number(o);
        assert.equal(r.key!.toString(), `p${p}-k${i % KEYS}`);
        assert.equal(r.value!.toString(), `p${p}-k${i % KEYS}#${i}`);
        assert.equal(header(r, 'origin'), `o${i}`);
        assert.deepEqual((r.headers.multi as Buffer[]).map(String), ['x', 'y']);
        assert.equal(header(r, 'sluice.replay.id'), result.replayId);
      }
    }
  });

  it('resumes a replay killed mid-way without duplicates; a third run publishes nothing', async () => {
    // Two target partitions for three source ones: records are placed by murmur2 of their key.
    const target = await bed.createTopic(uniqueName('it.replay.resume'), 2);
    const replayId = uniqueName('r');
    const cli = startSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--replay-id',
      replayId,
      '--rate',
      '120',
    ]);
    // Killed once some chunks are committed (a chunk a second at this rate).
    await until('a first committed chunk', async () => {
      if (cli.child.exitCode !== null) throw new Error(`replay ended early: ${cli.stderr()}`);
      const n = all(await bed.readAll(target)).length;
      return n >= 150 ? n : undefined;
    });
    cli.child.kill('SIGKILL');
    await cli.exited;
    const before = all(await bed.readAll(target)).length;
    assert.ok(before < PARTITIONS * PER_PARTITION, `killed mid-way (${before} published)`);

    const resumed = runSluice(['replay', '--resume', replayId, '-q', '-o', 'json'], { timeoutMs: 120_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    const result = JSON.parse(resumed.stdout) as {
      status: string;
      published: number;
      partitions: Array<{ published: number; next: string; to: string }>;
    };
    assert.equal(result.status, 'done');
    assert.deepEqual(
      result.partitions.map((p) => p.published),
      [PER_PARTITION, PER_PARTITION, PER_PARTITION],
    );
    assert.ok(result.published < PARTITIONS * PER_PARTITION, 'the resumed run published only what was left');

    const copied = all(await bed.readAll(target));
    const sources = copied.map(sourceOf);
    assert.equal(sources.length, PARTITIONS * PER_PARTITION, 'every record once');
    assert.equal(new Set(sources).size, PARTITIONS * PER_PARTITION, 'no duplicates');
    // Per-key order across the interruption: each key's source offsets rise in target order.
    const lastByKey = new Map<string, number>();
    for (const records of (await bed.readAll(target)).values()) {
      for (const r of records) {
        const offset = Number(sourceOf(r).split('/')[2]);
        const key = r.key!.toString();
        assert.ok((lastByKey.get(key) ?? -1) < offset, `key ${key} in order`);
        lastByKey.set(key, offset);
      }
    }

    const third = runSluice(['replay', '--resume', replayId], { timeoutMs: 60_000 });
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, new RegExp(`replay ${replayId} had already finished: nothing published`));
    assert.equal(all(await bed.readAll(target)).length, PARTITIONS * PER_PARTITION);
  });

  it('stops cleanly on SIGINT: the open chunk committed with its checkpoint, exit 130, how to resume', async () => {
    const target = await bed.createTopic(uniqueName('it.replay.sigint'), PARTITIONS);
    const replayId = uniqueName('s');
    const cli = startSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--replay-id',
      replayId,
      '--rate',
      '150',
      '-o',
      'json',
    ]);
    await until('a first committed chunk', async () => {
      if (cli.child.exitCode !== null) throw new Error(`replay ended early: ${cli.stderr()}`);
      return all(await bed.readAll(target)).length > 0 || undefined;
    });
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 130, cli.stderr());
    assert.match(
      cli.stderr(),
      new RegExp(`replay ${replayId} interrupted; resume with: sluice replay --resume ${replayId}`),
    );
    const result = JSON.parse(cli.stdout()) as { status: string; partitions: Array<{ published: number }> };
    assert.equal(result.status, 'interrupted');
    // Everything it says it published is there, and nothing more: no half chunk is visible.
    const published = result.partitions.reduce((n, p) => n + p.published, 0);
    assert.equal(all(await bed.readAll(target)).length, published);
    assert.ok(published < PARTITIONS * PER_PARTITION);

    const resumed = runSluice(['replay', '--resume', replayId, '-q']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const sources = all(await bed.readAll(target)).map(sourceOf);
    assert.equal(new Set(sources).size, PARTITIONS * PER_PARTITION);
    assert.equal(sources.length, PARTITIONS * PER_PARTITION);
  });

  it('refuses to run a replay id again with another range or target, naming the difference', async () => {
    const target = await bed.createTopic(uniqueName('it.replay.same-id'), PARTITIONS);
    const replayId = uniqueName('m');
    const first = runSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--replay-id',
      replayId,
      '--to-offset',
      '5',
      '-q',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const again = runSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--replay-id',
      replayId,
      '--to-offset',
      '5',
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /had already finished: nothing published \(15 record/);
    const other = runSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--replay-id',
      replayId,
      '--to-offset',
      '6',
    ]);
    assert.equal(other.code, 2);
    assert.deepEqual(errorLines(other.stderr), [
      `sluice: replay ${replayId} was started with other settings: range partitions all, from the start, to offset 5, now partitions all, from the start, to offset 6`,
    ]);
  });
});
