import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { KeyedHash } from './keyed-hash';

describe('KeyedHash', () => {
  it('equals createHmac(sha256) for keys shorter than, equal to and longer than a block', () => {
    const messages = ['', 'ada@example.com', 'é ✓ 𝄞', 'x'.repeat(1_000), Buffer.from([0, 255, 7])];
    for (const key of ['it-key-0123456789abcdef', 'k'.repeat(64), 'long-'.repeat(40), Buffer.from([1, 2, 3])])
      for (const m of messages)
        assert.equal(
          new KeyedHash(key).hex(m),
          createHmac('sha256', key).update(m).digest('hex'),
          `key ${key.length} bytes, message ${m.length}`,
        );
  });

  it('gives different digests under different keys', () => {
    assert.notEqual(new KeyedHash('a'.repeat(16)).hex('42'), new KeyedHash('b'.repeat(16)).hex('42'));
  });
});
