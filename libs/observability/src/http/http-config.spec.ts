import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { bindAddress, httpConfigSchema } from './http-config';

const schema = z.strictObject({ http: httpConfigSchema(8102) });
const parse = (raw: unknown, env: Record<string, string> = {}) =>
  parseConfig(schema, raw, { source: 'app.yaml', env });

describe('httpConfigSchema', () => {
  it("defaults to loopback, the app's port and no token", () => {
    assert.deepEqual(parse({}).http, { host: '127.0.0.1', port: 8102 });
  });

  it('takes the token from the environment through ${...} interpolation', () => {
    const { http } = parse(
      { http: { token: '${SLUICE_MANAGEMENT_TOKEN}' } },
      { SLUICE_MANAGEMENT_TOKEN: 's3cret-of-16-chars' },
    );
    assert.equal(http.token, 's3cret-of-16-chars');
  });

  it('refuses an empty or short token with a ConfigError naming http.token', () => {
    for (const token of ['', 's3cret'])
      assert.throws(
        () => parse({ http: { host: '0.0.0.0', token } }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /at http\.token/.test(e.message) &&
          /at least 16 characters/.test(e.message),
      );
  });

  it('refuses an unknown setting of the section, naming it', () => {
    assert.throws(
      () => parse({ http: { tokn: 'x' } }),
      (e: unknown) => e instanceof ConfigError && /http/.test(e.message) && /tokn/.test(e.message),
    );
  });
});

describe('bindAddress', () => {
  it('binds where asked when a token protects the API', () => {
    assert.deepEqual(bindAddress({ host: '0.0.0.0', token: 't' }), { host: '0.0.0.0', forced: false });
  });

  it('binds to loopback without a token, whatever host was asked for', () => {
    assert.deepEqual(bindAddress({ host: '0.0.0.0' }), { host: '127.0.0.1', forced: true });
    assert.deepEqual(bindAddress({ host: '10.1.2.3' }), { host: '127.0.0.1', forced: true });
    assert.deepEqual(bindAddress({ host: '::' }), { host: '127.0.0.1', forced: true });
  });

  it('keeps a loopback host without a token', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost'])
      assert.deepEqual(bindAddress({ host }), { host, forced: false });
  });
});
