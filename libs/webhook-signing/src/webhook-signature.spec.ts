import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { WebhookSignature } from './webhook-signature';

const secret = 'whsec_0123456789abcdef';
const body = Buffer.from('{"id":1,"name":"Zoë"}');

describe('WebhookSignature', () => {
  it('signs "<t>.<body>" with HMAC-SHA256, hex, as t=…,v1=…', () => {
    const header = new WebhookSignature(secret).header(body, 1_700_000_000);
    const expected = createHmac('sha256', secret)
      .update(`1700000000.${body.toString('utf8')}`)
      .digest('hex');
    assert.equal(header, `t=1700000000,v1=${expected}`);
  });

  it('verifies its own header; refuses another body, another secret, a stale timestamp, junk', () => {
    const signer = new WebhookSignature(secret);
    const header = signer.header(body, 1_700_000_000);
    assert.equal(signer.verify(header, body, 1_700_000_100), true);
    assert.equal(signer.verify(header, Buffer.from('{"id":2}'), 1_700_000_100), false);
    assert.equal(new WebhookSignature('another-secret-0123').verify(header, body, 1_700_000_100), false);
    assert.equal(signer.verify(header, body, 1_700_000_000 + 301), false);
    for (const junk of ['', 'v1=abc', 't=x,v1=00', `t=1700000000,v1=${'0'.repeat(64)}`])
      assert.equal(signer.verify(junk, body, 1_700_000_000), false, junk);
  });

  it('accepts any matching v1 (secret rotation sends two)', () => {
    const old = new WebhookSignature('old-secret-0123456');
    const current = new WebhookSignature(secret);
    const both = `${current.header(body, 1_700_000_000)},v1=${old.header(body, 1_700_000_000).split('v1=')[1]}`;
    assert.equal(old.verify(both, body, 1_700_000_000), true);
    assert.equal(current.verify(both, body, 1_700_000_000), true);
  });

  it('refuses an empty secret', () => {
    assert.throws(() => new WebhookSignature(''), RangeError);
  });
});
