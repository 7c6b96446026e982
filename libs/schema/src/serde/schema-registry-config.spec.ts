import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { schemaRegistryConfigSchema } from './schema-registry-config';

describe('registry configuration section', () => {
  it('defaults to the local stack', () => {
    assert.deepEqual(parseConfig(schemaRegistryConfigSchema, undefined, { env: {} }), {
      url: 'http://127.0.0.1:8081',
      retries: 3,
    });
  });

  it('names the path of a URL that is not http(s)', () => {
    assert.throws(
      () => parseConfig(schemaRegistryConfigSchema, { url: 'ftp://registry' }, { env: {} }),
      (err: unknown) => err instanceof ConfigError && err.path === 'url' && /http\(s\) URL/.test(err.message),
    );
  });

  it('refuses auth without a password', () => {
    assert.throws(
      () => parseConfig(schemaRegistryConfigSchema, { auth: { username: 'key' } }, { env: {} }),
      (err: unknown) => err instanceof ConfigError && err.path === 'auth.password',
    );
  });
});
