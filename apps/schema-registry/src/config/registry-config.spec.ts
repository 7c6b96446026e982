import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { registryConfig, RegistryConfigSchema } from './registry-config';

function writeYaml(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-registry-config-')), 'registry.yaml');
  writeFileSync(file, text);
  return file;
}

describe('registry configuration', () => {
  it('reads the local stack file and fills in every default', () => {
    const file = writeYaml(
      'http: { host: 127.0.0.1, port: 8081 }\n' +
        'database: { host: 127.0.0.1, port: 5433, user: postgres, password: postgres, database: registry }\n',
    );
    const cfg = loadConfigFile(RegistryConfigSchema, file, { env: {} });
    assert.equal(cfg.http.port, 8081);
    assert.equal(cfg.http.bodyLimitBytes, 1024 * 1024);
    assert.equal(cfg.database.database, 'registry');
    assert.equal(cfg.database.poolSize, 10);
    assert.equal(cfg.compatibility, 'BACKWARD');
    assert.equal(cfg.logging.level, 'info');
  });

  it('defaults everything when given nothing', () => {
    const cfg = registryConfig();
    assert.deepEqual(cfg.http, { host: '127.0.0.1', port: 8081, bodyLimitBytes: 1024 * 1024 });
    assert.equal(cfg.database.port, 5433);
  });

  it('names the YAML path of a bad compatibility level', () => {
    const file = writeYaml('compatibility: SIDEWAYS\n');
    assert.throws(
      () => loadConfigFile(RegistryConfigSchema, file, { env: {} }),
      (err: unknown) => err instanceof ConfigError && err.path === 'compatibility',
    );
  });

  it('names the YAML path of a bad port', () => {
    const file = writeYaml('database: { port: "five" }\n');
    assert.throws(
      () => loadConfigFile(RegistryConfigSchema, file, { env: {} }),
      (err: unknown) => err instanceof ConfigError && err.path === 'database.port',
    );
  });
  it('basic auth: off by default; users with passwords from the environment', () => {
    assert.deepEqual(registryConfig().auth, { users: [], realm: 'sluice-schema-registry' });
    const file = writeYaml('auth:\n  users:\n    - { username: apps, password: "${REGISTRY_PASSWORD}" }\n');
    const cfg = loadConfigFile(RegistryConfigSchema, file, { env: { REGISTRY_PASSWORD: 'a-long-secret-1' } });
    assert.deepEqual(cfg.auth.users, [{ username: 'apps', password: 'a-long-secret-1' }]);
  });

  it('basic auth: refuses a short password, a user name with a colon and an unknown key, naming the path', () => {
    for (const [yaml, path] of [
      [
        'auth: { users: [{ username: apps, password: short }] }',
        /at auth\.users\[0\]\.password: .*12 characters/,
      ],
      [
        'auth: { users: [{ username: "a:b", password: a-long-secret-1 }] }',
        /at auth\.users\[0\]\.username: .*":"/,
      ],
      ['auth: { user: [] }', /at auth: .*"user"/],
    ] as const)
      assert.throws(
        () => loadConfigFile(RegistryConfigSchema, writeYaml(`${yaml}\n`), { env: {} }),
        (err: unknown) => err instanceof ConfigError && path.test(err.message),
        yaml,
      );
  });

  it('refuses a misspelt key in any section, naming it and where (not silently dropped)', () => {
    for (const [yaml, path] of [
      ['http: { prot: 8081 }', /at http: .*"prot"/],
      ['database: { pool_size: 4 }', /at database: .*"pool_size"/],
      ['logging: { levle: debug }', /at logging: .*"levle"/],
      ['compatability: FULL', /"compatability"/],
    ] as const)
      assert.throws(
        () => loadConfigFile(RegistryConfigSchema, writeYaml(`${yaml}\n`), { env: {} }),
        (err: unknown) => err instanceof ConfigError && path.test(err.message),
        yaml,
      );
  });
});
