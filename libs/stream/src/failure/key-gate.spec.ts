import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type DeadLetterRecord, readDeadLetterHeaders } from '../dead-letter/dead-letter-headers';
import { redrivenHeaders, type RedriveMark } from '../dead-letter/redrive-headers';
import { type StreamRecord } from '../processor/stream-record';
import { type BatchParking, type GateScope, type KeptParked, keyGateFor } from './key-gate';
import { ParkedKeys } from './key-parking';
import { decodeParkedMarker } from './parked-key-record';

const record = (offset: bigint, key: string | null = 'k', mark?: RedriveMark): StreamRecord => ({
  topic: 'in',
  partition: 3,
  offset,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(`v${offset}`),
  headers: mark ? redrivenHeaders([], mark) : [],
  timestamp: '0',
});

/** A copy of redrive `id` replaying the park behind `parked`; the last one releases it `through`. */
const copy = (offset: bigint, of: bigint, mark: { id?: string; parked?: bigint; through?: bigint } = {}) => {
  const parked = mark.parked ?? 5n;
  return record(offset, 'k', {
    id: mark.id ?? 'r1',
    of: { topic: 'in', partition: 3, offset: of },
    parked,
    ...(mark.through !== undefined ? { release: { failedOffset: parked, through: mark.through } } : {}),
  });
};

/** A partition's parked keys, one batch's changes, and what went to the delivery, in order. */
function scope(): GateScope & { readonly written: DeadLetterRecord[] } {
  const written: DeadLetterRecord[] = [];
  const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
  return {
    parked: new ParkedKeys(),
    changes,
    written,
    delivery: {
      async deadLetter(letter) {
        written.push(letter);
      },
    },
  };
}

const kept: KeptParked[] = [];
const gate = keyGateFor({
  group: 'g',
  onKeyFailure: 'park',
  className: 'Step',
  onKeptParked: (k) => kept.push(k),
});

describe('KeyGate admission', () => {
  it('processes records of keys not parked, and records at or before a restored park', () => {
    const s = scope();
    assert.deepEqual(gate.admit(record(1n), s), { kind: 'process' });
    assert.deepEqual(gate.admit(record(1n, null), s), { kind: 'process' }, 'no key: nothing to hold');
    s.parked.park('k', 5n); // restored; the source offset was not committed
    assert.deepEqual(gate.admit(record(4n), s), { kind: 'process' });
    assert.deepEqual(gate.admit(record(5n), s), { kind: 'redo' }, 'the failed record itself, redone');
    assert.deepEqual(gate.admit(record(6n, 'other'), s), { kind: 'process' });
  });

  it('parks later records of a parked key, and replays only copies of its park from a redrive not broken', () => {
    const s = scope();
    s.parked.park('k', 5n);
    assert.deepEqual(gate.admit(record(6n), s), { kind: 'park', behind: 5n });
    const replay = gate.admit(copy(20n, 5n), s);
    assert.equal(replay.kind, 'replay');
    assert.equal(replay.kind === 'replay' && replay.redrive.id, 'r1');
    assert.deepEqual(
      gate.admit(copy(21n, 3n, { parked: 3n }), s),
      { kind: 'park', behind: 5n },
      'another park',
    );
    s.parked.breakRedrive('k', 'r1');
    assert.deepEqual(gate.admit(copy(22n, 6n), s), { kind: 'park', behind: 5n }, 'a broken redrive');
    assert.equal(gate.admit(copy(23n, 5n, { id: 'r2' }), s).kind, 'replay', 'a later redrive');
  });

  it('under skip holds no key: every record is processed, a failure parks nothing', async () => {
    const open = keyGateFor({ group: 'g', onKeyFailure: 'skip', className: 'Step' });
    const s = scope();
    s.parked.park('k', 5n);
    assert.deepEqual(open.admit(record(6n), s), { kind: 'process' });
    await open.onDeadLettered(record(7n, 'other'), { kind: 'process' }, s);
    assert.equal(s.parked.isParked('other'), false);
    assert.deepEqual(s.written, []);
  });
});

describe('KeyGate parking', () => {
  it('a dead-lettered record parks its key with a marker; its key’s next record goes to the DLQ parked', async () => {
    const s = scope();
    await gate.onDeadLettered(record(5n), { kind: 'process' }, s);
    assert.ok(s.parked.isParked('k'));
    assert.deepEqual(
      s.changes.parked.map((r) => r.offset),
      [5n],
    );
    assert.deepEqual(decodeParkedMarker(s.written[0]!.key, s.written[0]!.value, 'spec'), {
      tp: { topic: 'in', partition: 3 },
      key: Buffer.from('k'),
      failedOffset: 5n,
    });

    const admission = gate.admit(record(6n), s);
    assert.equal(admission.kind, 'park');
    if (admission.kind === 'park') await gate.park(record(6n), admission, s);
    const letter = s.written[1]!;
    assert.equal(letter.topic, 'g.dlq');
    const info = readDeadLetterHeaders(letter.headers);
    assert.equal(info?.parkedBehind, 5n);
    assert.equal(info?.attempts, 0);
    assert.equal(info?.className, 'Step');
    assert.deepEqual(s.parked.parkedAfter('k', 5n), [6n], 'noted parked');
  });

  it('writes no marker for a key already parked, nor for a record without a key', async () => {
    const s = scope();
    s.parked.park('k', 5n);
    await gate.onDeadLettered(record(5n), { kind: 'redo' }, s);
    await gate.onDeadLettered(record(6n, null), { kind: 'process' }, s);
    assert.deepEqual(s.written, []);
    assert.deepEqual(s.changes.parked, []);
  });
});

describe('KeyGate release', () => {
  it('a redone failed record that succeeds releases its key with a tombstone', async () => {
    const s = scope();
    s.parked.park('k', 5n);
    await gate.onProcessed(record(4n), { kind: 'process' }, s);
    assert.ok(s.parked.isParked('k'), 'an earlier record does not touch the park');
    await gate.onProcessed(record(5n), { kind: 'redo' }, s);
    assert.equal(s.parked.isParked('k'), false);
    assert.deepEqual(s.changes.released, [{ key: Buffer.from('k'), failedOffset: 5n }]);
    assert.deepEqual(
      s.written.map((w) => [w.topic, w.value]),
      [['g.dlq.parked', null]],
    );
  });

  it('a redrive’s last copy releases the key; earlier copies do not', async () => {
    const s = scope();
    s.parked.park('k', 5n);
    s.parked.noteParked('k', 6n);
    for (const [offset, of, through] of [
      [20n, 5n, undefined],
      [21n, 6n, 6n],
    ] as const) {
      const r = copy(offset, of, through === undefined ? {} : { through });
      const admission = gate.admit(r, s);
      assert.equal(admission.kind, 'replay');
      assert.ok(s.parked.isParked('k'));
      await gate.onProcessed(r, admission, s);
    }
    assert.equal(s.parked.isParked('k'), false);
    assert.deepEqual(s.changes.released, [{ key: Buffer.from('k'), failedOffset: 5n }]);
    assert.equal(s.written.at(-1)?.value, null);
  });

  it('keeps the key parked when records were parked after the redrive’s selection (onKeptParked)', async () => {
    const s = scope();
    kept.length = 0;
    s.parked.park('k', 5n);
    s.parked.noteParked('k', 9n);
    const last = copy(20n, 5n, { through: 7n });
    await gate.onProcessed(last, gate.admit(last, s), s);
    assert.ok(s.parked.isParked('k'));
    assert.deepEqual(
      kept.map((k) => [k.record.offset, k.failedOffset, k.parkedAfter]),
      [[20n, 5n, [9n]]],
    );
    assert.deepEqual(s.written, []);
    assert.deepEqual(s.changes.released, []);
  });

  it('a copy failing again breaks its redrive: the rest of its copies are parked behind the same failure', async () => {
    const s = scope();
    s.parked.park('k', 5n);
    const failed = copy(20n, 5n);
    await gate.onDeadLettered(failed, gate.admit(failed, s), s);
    assert.deepEqual(s.changes.brokenRedrives, [{ key: Buffer.from('k'), redriveId: 'r1' }]);
    assert.deepEqual(s.written, [], 'still parked behind 5: no new marker');
    assert.deepEqual(gate.admit(copy(21n, 6n, { through: 6n }), s), { kind: 'park', behind: 5n });
  });
});
