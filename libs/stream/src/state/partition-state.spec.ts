import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChangelogReader } from './changelog-reader';
import { changelogRecord, changelogTopicFor } from './changelog-topic';
import { PartitionState } from './partition-state';
import { StateDirectory } from './state-directory';
import { type StoreStorage } from './store-engine';

const tp = { topic: 'in', partition: 2 };
const text = (b: Buffer | undefined) => b?.toString('utf8');

/** A reader over fixed changelog records, as Kafka would hand them read committed. */
function fakeReader(records: Record<string, Array<[string, string | null]>>): ChangelogReader {
  return {
    range: async (topic: string) => ({ from: 0n, to: BigInt(records[topic]?.length ?? 0) }),
    read: async (
      topic: string,
      _p: number,
      _r: unknown,
      apply: (k: Buffer, v: Buffer | null, o: bigint) => void,
    ) => {
      (records[topic] ?? []).forEach(([k, v], i) =>
        apply(Buffer.from(k), v === null ? null : Buffer.from(v), BigInt(i)),
      );
    },
  } as unknown as ChangelogReader;
}

// The same behaviour whichever engine holds the committed entries.
for (const storage of ['memory', 'disk'] as const satisfies readonly StoreStorage[])
  describe(`PartitionState (${storage} stores)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-partition-state-'));
    const directory = storage === 'disk' ? StateDirectory.open(dir, 'g') : undefined;
    const opened: PartitionState[] = [];
    const make = (names: string[]): PartitionState => {
      const state = new PartitionState(
        tp,
        'g',
        names.map((name) => ({ name, storage })),
        directory,
      );
      opened.push(state);
      return state;
    };
    after(async () => {
      for (const state of opened) await state.close();
      directory?.release();
      rmSync(dir, { recursive: true, force: true });
    });
    behaviour(make);
  });

function behaviour(make: (names: string[]) => PartitionState): void {
  it('a record sees its own writes, then the batch, then the committed state; commit and abort per batch', () => {
    const state = make(['s']);
    const first = state.beginRecord();
    first.store('s').put('a', Buffer.from('1'));
    assert.equal(text(first.store('s').get('a')), '1');
    assert.equal(text(state.beginRecord().store('s').get('a')), undefined, 'not applied yet');
    first.apply();
    const second = state.beginRecord();
    assert.equal(text(second.store('s').get('a')), '1', 'the batch');
    second.store('s').delete('a');
    second.store('s').put('b', Buffer.from('2'));
    assert.deepEqual(
      [...second.store('s').entries()].map(([k]) => k),
      ['b'],
    );
    assert.deepEqual(
      second.changes().map((c) => [c.key, text(c.value ?? undefined) ?? null]),
      [
        ['a', null],
        ['b', '2'],
      ],
    );
    second.apply();
    state.abortBatch();
    assert.equal(state.beginRecord().store('s').get('a'), undefined, 'the whole batch was given up');
    const third = state.beginRecord();
    third.store('s').put('c', Buffer.from('3'));
    third.apply();
    state.commitBatch();
    state.abortBatch();
    assert.equal(text(state.beginRecord().store('s').get('c')), '3', 'committed stays');
    assert.throws(() => state.beginRecord().store('other'), /not declared/);
  });

  it('restores every store from its changelog (tombstones delete) and reports progress', async () => {
    const state = make(['s', 't']);
    assert.equal(state.needsRestore, true);
    await state.restore(
      fakeReader({
        [changelogTopicFor('g', 's')]: [
          ['a', '1'],
          ['b', '2'],
          ['a', null],
        ],
      }),
      new AbortController().signal,
    );
    assert.equal(state.needsRestore, false);
    const view = state.beginRecord().store('s');
    assert.equal(view.get('a'), undefined);
    assert.equal(text(view.get('b')), '2');
    const progress = state.restoreProgress().find((p) => p.store === 's')!;
    assert.equal(progress.changelog, 'g-s-changelog');
    assert.equal(progress.partition, 2);
    assert.equal(progress.restoredRecords, 3);
    assert.equal(progress.totalRecords, 3);
    assert.equal(progress.done, true);
    state.invalidate();
    assert.equal(state.needsRestore, true);
  });

  it('a warm copy (standby) follows its changelog, and its restore reads only from where it stood', async () => {
    const state = make(['s', 't']);
    const record = (key: string, value: string | null, offset: number) => ({
      key: Buffer.from(key),
      value: value === null ? null : Buffer.from(value),
      offset: String(offset),
    });
    state.follow('s', [record('a', '1', 0), record('b', '2', 1)], 2n);
    state.follow('s', [record('a', null, 2)], 5n); // offsets 3-4: transaction markers
    // A record the store could not have written is refused, naming it (the standby drops its copy).
    assert.throws(
      () => state.follow('s', [{ key: Buffer.from([0xff]), value: Buffer.from('x'), offset: '5' }], 6n),
      (e: unknown) =>
        (e as { code?: string }).code === 'STATE_CHANGELOG_INVALID' &&
        /changelog g-s-changelog\[\d+\] offset 5/.test((e as Error).message),
    );
    assert.deepEqual([...state.followedTo()], [['s', 5n]]);
    const asked: Array<[string, bigint | undefined]> = [];
    const reader = {
      range: async (topic: string, _p: number, after?: bigint) => {
        asked.push([topic, after]);
        return { from: after ?? 0n, to: after === undefined ? 0n : after + 1n };
      },
      read: async (
        topic: string,
        _p: number,
        _r: unknown,
        apply: (k: Buffer, v: Buffer | null, o: bigint) => void,
      ) => {
        if (topic === 'g-s-changelog') apply(Buffer.from('c'), Buffer.from('3'), 5n);
      },
    } as unknown as ChangelogReader;
    await state.restore(reader, new AbortController().signal);
    assert.deepEqual(asked.sort(), [
      ['g-s-changelog', 5n],
      ['g-t-changelog', undefined],
    ]);
    const view = state.beginRecord().store('s');
    assert.equal(view.get('a'), undefined, 'the tombstone it followed');
    assert.equal(text(view.get('b')), '2', 'kept from the copy, not read again');
    assert.equal(text(view.get('c')), '3', 'the catch-up');
    assert.equal(state.restoreProgress().find((p) => p.store === 's')!.restoredRecords, 1);
    assert.deepEqual([...state.followedTo()], [], 'an active copy follows nothing');
    state.invalidate();
    assert.equal(state.needsRestore, true);
  });

  it("the batch's changelog holds the last write per key of each store; a given-up record's writes are not in it", () => {
    const state = make(['s', 't']);
    for (let i = 1; i <= 3; i++) {
      const record = state.beginRecord();
      record.store('s').put('time', Buffer.from(String(i)));
      record.store('t').put(`k${i}`, Buffer.from('x'));
      record.apply();
    }
    const retried = state.beginRecord();
    retried.store('s').put('time', Buffer.from('99')); // never applied: a retry or a dead letter
    const deleting = state.beginRecord();
    deleting.store('t').delete('k2');
    deleting.apply();
    const changelog = state
      .batchChangelog()
      .map((r) => `${r.topic}:${r.key!.toString()}=${r.value === null ? 'null' : r.value.toString()}`)
      .sort();
    assert.deepEqual(changelog, [
      'g-s-changelog:time=3',
      'g-t-changelog:k1=x',
      'g-t-changelog:k2=null',
      'g-t-changelog:k3=x',
    ]);
    state.commitBatch();
    assert.deepEqual(state.batchChangelog(), [], 'a committed batch leaves nothing to record');
  });
}

describe('changelog records', () => {
  it('a change becomes a changelog record of the store topic (a delete is a tombstone)', () => {
    const r = changelogRecord('g', { store: 's', key: 'k', value: null });
    assert.equal(r.topic, 'g-s-changelog');
    assert.equal(r.key!.toString(), 'k');
    assert.equal(r.value, null);
  });
});
