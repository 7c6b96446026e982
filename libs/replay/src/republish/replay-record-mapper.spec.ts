import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Message } from 'kafkajs';
import { messageBytes } from './replay-record-mapper';

describe('replay record sizes', () => {
  it('counts key, value and header bytes, a null header value as none (Java producers write them)', () => {
    const plain: Message = { key: Buffer.from('k'), value: Buffer.from('value') };
    const withHeaders: Message = {
      ...plain,
      headers: {
        a: Buffer.from('12345'),
        many: [Buffer.from('1'), null as unknown as Buffer],
        empty: null as unknown as Buffer,
      },
    };
    // Each header: its name and 8 bytes of framing, then its value's bytes.
    assert.equal(messageBytes(withHeaders) - messageBytes(plain), 1 + 8 + 5 + (4 + 8 + 1) + (5 + 8));
  });
});
