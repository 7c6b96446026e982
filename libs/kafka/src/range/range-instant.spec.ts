import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LATEST_INSTANT_MS, parseRangeInstant } from './range-instant';

describe('range instants', () => {
  it('reads epoch ms and ISO-8601 dates and times (UTC unless an offset is given)', () => {
    assert.equal(parseRangeInstant('0'), 0);
    assert.equal(parseRangeInstant('1767225600000'), 1767225600000);
    assert.equal(parseRangeInstant('2026-01-01'), Date.UTC(2026, 0, 1));
    assert.equal(parseRangeInstant('2026-01-31T12:00:00Z'), Date.UTC(2026, 0, 31, 12));
    assert.equal(parseRangeInstant('2026-01-31T12:00'), Date.UTC(2026, 0, 31, 12));
    assert.equal(parseRangeInstant('2026-01-31 12:00:05.250'), Date.UTC(2026, 0, 31, 12, 0, 5, 250));
    assert.equal(parseRangeInstant('2026-01-31T13:00:00+01:00'), Date.UTC(2026, 0, 31, 12));
    assert.equal(parseRangeInstant('2026-01-31T13:00:00+0100'), Date.UTC(2026, 0, 31, 12));
    assert.equal(parseRangeInstant(String(LATEST_INSTANT_MS)), LATEST_INSTANT_MS);
  });

  it('refuses what Date.parse would guess at, dates the calendar lacks, and instants past a Date', () => {
    for (const text of [
      '-1', // Date.parse: 2001-01-01
      'foo 12', // 2001-12-01
      'March 7', // 2001-03-07
      '2024-02-30', // 2024-03-01
      '2026-13-01',
      '2026-01-31T25:00',
      '2026-01-31T12:60',
      'yesterday',
      '',
      '1e3',
      '99999999999999999999', // past 8.64e15: new Date() of it throws on toISOString
      String(LATEST_INSTANT_MS + 1),
    ])
      assert.equal(parseRangeInstant(text), undefined, text);
  });
});
