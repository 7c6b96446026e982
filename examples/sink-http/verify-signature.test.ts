// The verification snippet of docs/sink-http.md: the docs quote this folder's file verbatim, and
// the snippet accepts what the sink's WebhookSignature sends and refuses anything else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebhookSignature } from '@sluice/sink-http';
import { verifySluiceSignature } from './verify-signature';

const root = join(__dirname, '..', '..', '..');

describe('docs/sink-http.md: the signature verification snippet', () => {
  it('is quoted verbatim from examples/sink-http/verify-signature.ts', () => {
    const doc = readFileSync(join(root, 'docs', 'sink-http.md'), 'utf8');
    const source = readFileSync(join(root, 'examples', 'sink-http', 'verify-signature.ts'), 'utf8');
    const start = '<!-- snippet:verify-signature:start -->\n```ts\n';
    const quoted = doc.slice(
      doc.indexOf(start) + start.length,
      doc.indexOf('```\n<!-- snippet:verify-signature:end -->'),
    );
    assert.equal(quoted, source);
  });

  it("accepts the sink's signatures; refuses another body, secret or a stale timestamp", () => {
    const secret = 'docs-example-secret-0123';
    const body = Buffer.from('{"id":1,"note":"Zoë"}');
    const now = Math.floor(Date.now() / 1000);
    const header = new WebhookSignature(secret).header(body, now);
    assert.equal(verifySluiceSignature(header, body, secret), true);
    assert.equal(verifySluiceSignature(header, Buffer.from('{"id":2}'), secret), false);
    assert.equal(verifySluiceSignature(header, body, 'another-secret-0123456'), false);
    assert.equal(
      verifySluiceSignature(new WebhookSignature(secret).header(body, now - 600), body, secret),
      false,
    );
    assert.equal(verifySluiceSignature(undefined, body, secret), false);
    assert.equal(verifySluiceSignature('t=abc,v1=00', body, secret), false);
  });
});
