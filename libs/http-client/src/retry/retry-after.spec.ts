import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfter } from './retry-after';

const now = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('delay-seconds', () => {
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('3', now), 3_000);
    assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  });

  it('an HTTP-date, relative to now; a past date is 0', () => {
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  });

  it('absent or unreadable: undefined (the caller backs off on its own)', () => {
    for (const v of [undefined, null, '', '-1', '1.5', 'soon', 'Thu, nonsense'])
      assert.equal(parseRetryAfter(v, now), undefined, String(v));
  });
});
