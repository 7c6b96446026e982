import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kraftClusterId } from './kafka-part';

describe('kraftClusterId', () => {
  it("is 16 bytes in URL-safe base64, drawn again when it would start with '-' (read as an option)", () => {
    // 0xf8 is 111110 in its first six bits: '-' in URL-safe base64.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.from('00112233445566778899aabbccddeeff', 'hex')];
    let drawn = 0;
    const id = kraftClusterId(() => draws[drawn++]!);
    assert.equal(Buffer.alloc(16, 0xf8).toString('base64url')[0], '-');
    assert.equal(drawn, 2);
    assert.equal(id, draws[1]!.toString('base64url'));
    for (let i = 0; i < 2000; i++) {
      const random = kraftClusterId();
      assert.match(random, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
