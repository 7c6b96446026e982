import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupOffsetMirror } from './group-offset-mirror';
import { type TopicPartition } from './partition-delivery';

const p0: TopicPartition = { topic: 't', partition: 0 };
const p1: TopicPartition = { topic: 't', partition: 1 };

/** A committer whose commits the test settles one by one. */
function heldCommits() {
  const calls: Array<{ tp: TopicPartition; offset: bigint; settle: (error?: Error) => void }> = [];
  const commit = (tp: TopicPartition, offset: bigint) =>
    new Promise<void>((resolve, reject) =>
      calls.push({ tp, offset, settle: (error) => (error ? reject(error) : resolve()) }),
    );
  return { calls, commit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupOffsetMirror', () => {
  it('commits in the background, never inside the caller', async () => {
    const { calls, commit } = heldCommits();
    const mirror = new GroupOffsetMirror({ group: 'g', commit, metrics: false });
    mirror.publish(p0, 10n);
    assert.equal(calls.length, 0, 'publish returns before the commit starts');
    await tick();
    assert.deepEqual(
      calls.map((c) => c.offset),
      [10n],
    );
    calls[0]!.settle();
    await mirror.settled();
  });

  it('keeps one commit in flight per partition; positions published meanwhile coalesce, the latest wins', async () => {
    const { calls, commit } = heldCommits();
    const mirror = new GroupOffsetMirror({ group: 'g', commit, metrics: false });
    mirror.publish(p0, 10n);
    await tick();
    for (const offset of [11n, 12n, 13n]) mirror.publish(p0, offset);
    mirror.publish(p1, 5n);
    await tick();
    assert.deepEqual(
      calls.map((c) => `${c.tp.partition}:${c.offset}`),
      ['0:10', '1:5'],
      'partition 0 waits for its commit in flight; partition 1 does not wait for it',
    );
    calls[0]!.settle();
    await tick();
    assert.deepEqual(
      calls.map((c) => `${c.tp.partition}:${c.offset}`),
      ['0:10', '1:5', '0:13'],
    );
    // The latest wins even when it is lower (a claim that took an operator's reset).
    mirror.publish(p0, 3n);
    calls[2]!.settle();
    await tick();
    assert.equal(calls[3]!.offset, 3n);
    for (const c of calls.slice(1)) c.settle();
    await mirror.settled();
    assert.equal(calls.length, 4);
  });

  it('reports a failure without throwing, first once until a commit succeeds, and goes on', async () => {
    const { calls, commit } = heldCommits();
    const failures: Array<{ offset: string; first: boolean }> = [];
    const mirror = new GroupOffsetMirror({
      group: 'g',
      commit,
      metrics: false,
      onFailure: (_tp, error, first) => failures.push({ offset: (error as Error).message, first }),
    });
    for (const offset of [1n, 2n, 3n, 4n]) {
      mirror.publish(p0, offset);
      await tick();
      const call = calls[calls.length - 1]!;
      call.settle(offset === 3n ? undefined : new Error(String(offset)));
      await mirror.settled();
    }
    assert.deepEqual(failures, [
      { offset: '1', first: true },
      { offset: '2', first: false },
      { offset: '4', first: true },
    ]);
  });

  it('survives a committer that throws synchronously and a reporter that throws', async () => {
    const mirror = new GroupOffsetMirror({
      group: 'g',
      metrics: false,
      commit: () => {
        throw new Error('sync');
      },
      onFailure: () => {
        throw new Error('reporter');
      },
    });
    mirror.publish(p0, 1n);
    mirror.publish(p0, 2n);
    await mirror.settled();
  });

  it('drops a position not yet sent when the partition is forgotten', async () => {
    const { calls, commit } = heldCommits();
    const mirror = new GroupOffsetMirror({ group: 'g', commit, metrics: false });
    mirror.publish(p0, 1n);
    await tick();
    mirror.publish(p0, 2n);
    mirror.forget(p0);
    calls[0]!.settle();
    await mirror.settled();
    assert.deepEqual(
      calls.map((c) => c.offset),
      [1n],
    );
  });
  it('with minIntervalMs starts at most one commit per interval, the latest position, and settled() commits at once', async () => {
    const { calls, commit } = heldCommits();
    const mirror = new GroupOffsetMirror({ group: 'g', commit, metrics: false, minIntervalMs: 600 });
    mirror.publish(p0, 1n);
    await tick();
    calls[0]!.settle();
    const firstAt = performance.now();
    for (const offset of [2n, 3n]) mirror.publish(p0, offset);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls.length, 1, 'the next commit waits for its interval');
    while (calls.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(performance.now() - firstAt >= 590, 'not before the interval');
    assert.equal(calls[1]!.offset, 3n, 'the latest position, once');
    calls[1]!.settle();
    mirror.publish(p0, 4n);
    const settled = mirror.settled();
    await tick();
    assert.deepEqual(
      calls.map((c) => c.offset),
      [1n, 3n, 4n],
      'settled() does not wait out the interval',
    );
    calls[2]!.settle();
    await settled;
  });
  it('drops a position waiting for its interval when the partition is forgotten', async () => {
    const { calls, commit } = heldCommits();
    const mirror = new GroupOffsetMirror({ group: 'g', commit, metrics: false, minIntervalMs: 60_000 });
    mirror.publish(p0, 1n);
    await tick();
    calls[0]!.settle();
    mirror.publish(p0, 2n);
    await tick();
    mirror.forget(p0);
    await mirror.settled();
    assert.deepEqual(
      calls.map((c) => c.offset),
      [1n],
    );
  });
});
