import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  comparable,
  compareMarks,
  MalformedCursorError,
  nextPollStart,
  overlapFloor,
  sinceValue,
  storedCursor,
} from './poll-cursor';

describe('poll cursor', () => {
  it('orders marks by value as the API does, then by tie-breaker', () => {
    const t = '2025-01-01T00:00:00Z';
    assert.equal(compareMarks({ value: t, id: 'b' }, { value: t, id: 'a' }), 1);
    assert.equal(compareMarks({ value: t, id: 2 }, { value: t, id: 10 }), -1, 'numbers as numbers');
    assert.equal(compareMarks({ value: '2025-01-01T00:00:01Z' }, { value: t, id: 'z' }), 1);
    assert.equal(compareMarks({ value: t, id: null }, { value: t, id: 'a' }), -1);
    assert.equal(compareMarks({ value: 5 }, { value: '5' }), 0);
  });

  it('comparable: ISO times as epoch ms, numbers and numeric text as numbers, anything else null', () => {
    assert.equal(comparable('2025-01-01T00:00:00Z'), Date.UTC(2025, 0, 1));
    assert.equal(comparable(1700000000), 1700000000);
    assert.equal(comparable('42'), 42);
    assert.equal(comparable('soon'), null);
    assert.equal(comparable(null), null);
  });

  it('the since value: the mark less the look-back, in the mark’s own form', () => {
    assert.equal(sinceValue(undefined, 30, '2024-01-01T00:00:00Z'), '2024-01-01T00:00:00Z');
    assert.equal(sinceValue(undefined, 30), null);
    assert.equal(sinceValue({ value: '2025-01-01T00:01:00Z' }, 0), '2025-01-01T00:01:00Z');
    assert.equal(sinceValue({ value: '2025-01-01T00:01:00Z' }, 30), '2025-01-01T00:00:30.000Z');
    assert.equal(sinceValue({ value: 1_700_000_000 }, 30), 1_699_999_970, 'epoch seconds');
    assert.equal(sinceValue({ value: 1_700_000_000_000 }, 30), 1_699_999_970_000, 'epoch ms');
    assert.equal(sinceValue({ value: '1700000000' }, 30), '1699999970');
    assert.equal(overlapFloor({ value: '2025-01-01T00:01:00Z' }, 60), Date.UTC(2025, 0, 1));
  });

  it('nextPollStart: the walk’s start when the mark passed it, as the API writes the mark; other marks unchanged', () => {
    const start = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
    const iso = { value: '2026-01-01T12:00:05Z', id: 'z' };
    assert.deepEqual(
      nextPollStart(iso, start),
      { value: '2026-01-01T12:00:00.000Z', id: null },
      'whole seconds',
    );
    const ms = { value: '2026-01-01T12:00:05.125Z', id: 'z' };
    assert.deepEqual(nextPollStart(ms, start), { value: '2026-01-01T12:00:00.250Z', id: null });
    const before = { value: '2026-01-01T11:59:59Z', id: 'a' };
    assert.equal(nextPollStart(before, start), before, 'a mark before the start is the start');
    assert.deepEqual(nextPollStart({ value: start + 9_000 }, start), { value: start, id: null }, 'epoch ms');
    assert.deepEqual(
      nextPollStart({ value: String(Math.floor(start / 1000) + 9) }, start),
      { value: String(Math.floor(start / 1000)), id: null },
      'epoch seconds as text',
    );
    const sequence = { value: 987_654, id: 'x' };
    assert.equal(nextPollStart(sequence, start), sequence, 'a number far from the clock is no time');
    const text = { value: 'v9' };
    assert.equal(nextPollStart(text, start), text, 'not comparable');
    assert.equal(nextPollStart(undefined, start), undefined);
  });

  it('reads back a stored cursor of its own shape, and refuses another naming where it is', () => {
    const cursor = {
      mark: { value: '2024-05-01T10:00:00Z', id: 7 },
      from: { value: '2024-05-01T09:59:30Z' },
      etag: '"v1"',
      seen: { a: ['2024-05-01T10:00:00Z', 1714557600000], b: ['h', null] },
      run: { since: { value: 5 }, next: { page: 2 }, max: { value: 9, id: null }, startedAt: 1 },
    };
    assert.deepEqual(storedCursor(cursor, 'here'), cursor);
    assert.deepEqual(storedCursor({}, 'here'), { seen: {} });
    for (const value of [null, [], 'x', 42, { mark: '2025-01-01T00:00:00Z' }, { seen: null }, { run: 'x' }])
      assert.throws(
        () => storedCursor(value, 'of stream s in offsets (key ["src","s"])'),
        (e: unknown) => e instanceof MalformedCursorError && /of stream s in offsets/.test(e.message),
        JSON.stringify(value),
      );
  });
});
