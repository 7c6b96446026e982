import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { configReferenceMarkdown, parseConfig } from '@sluice/config';
import { httpDestinationConfigSchema } from './http-destination-config';

const parse = (raw: unknown, env: Record<string, string> = {}) =>
  parseConfig(httpDestinationConfigSchema, raw, { source: 'sink.yaml', env });

function refused(raw: unknown, path: RegExp, env: Record<string, string> = {}): void {
  assert.throws(
    () => parse(raw, env),
    (e: unknown) => e instanceof ConfigError && path.test(e.message),
  );
}

describe('httpDestinationConfigSchema', () => {
  it('fills documented, safe defaults', () => {
    const c = parse({ name: 'crm', url: 'https://crm.example.com/x' });
    assert.equal(c.method, 'POST');
    assert.equal(c.format, 'json');
    assert.deepEqual(c.timeouts, { connectMs: 5_000, readMs: 10_000 });
    assert.deepEqual(c.redirects, { follow: false, max: 3 });
    assert.deepEqual(c.tls, { verify: true });
    assert.deepEqual(c.circuitBreaker, { failureThreshold: 5, coolDownMs: 30_000 });
    assert.deepEqual(c.batch, { maxRecords: 1, lingerMs: 20 });
    assert.equal(c.retry.maxAttempts, 10);
    assert.equal(c.retry.maxRetryAfterMs, 60_000);
    assert.equal(c.rateLimit, undefined);
    assert.equal(c.auth, undefined);
  });

  it('secrets come from the environment; a missing variable names the path', () => {
    const c = parse(
      { name: 'crm', url: 'https://x', auth: { type: 'bearer', token: '${CRM_TOKEN}' } },
      { CRM_TOKEN: 't0k' },
    );
    assert.deepEqual(c.auth, { type: 'bearer', token: 't0k' });
    refused(
      { name: 'crm', url: 'https://x', auth: { type: 'bearer', token: '${CRM_TOKEN}' } },
      /at auth\.token: environment variable CRM_TOKEN is not set/,
    );
  });

  it('bad values are refused naming the path', () => {
    refused({ url: 'https://x' }, /at name/);
    refused({ name: 'crm', url: 'https://x/{{ value. }}' }, /at url: invalid template/);
    refused({ name: 'crm', url: 'https://x', body: { a: ['{{ ) }}'] } }, /at body\.a\[0\]: invalid template/);
    refused({ name: 'crm', url: 'https://x', when: 'value ==' }, /at when: invalid expression/);
    refused({ name: 'crm', url: 'https://x', method: 'TRACE' }, /at method/);
    refused({ name: 'crm', url: 'https://x', auth: { type: 'oauth' } }, /at auth/);
    refused({ name: 'crm', url: 'https://x', signing: { secret: 'short' } }, /at signing\.secret/);
    refused({ name: 'crm', url: 'https://x', rateLimit: { perSecond: 0 } }, /at rateLimit\.perSecond/);
    refused(
      { name: 'crm', url: 'https://x', retry: { initialDelayMs: 10, maxDelayMs: 5 } },
      /at retry\.maxDelayMs/,
    );
    refused({ name: 'crm', url: 'https://x', headers: { 'bad header': 'v' } }, /at headers/);
  });

  it('every optional setting documents its default (the generated reference shows it)', () => {
    const rows = configReferenceMarkdown(httpDestinationConfigSchema)
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    assert.ok(rows.length > 20);
    for (const row of rows) {
      const [, path, type, required, defaults, description] = row.split(' | ').map((c) => c.trim());
      if (required === 'yes' || type === 'map' || defaults !== '') continue;
      assert.match(description ?? '', /Default|Required with/, `${path} documents its default`);
    }
  });
});
