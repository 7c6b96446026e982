import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@sluice/errors';
import { parseConfig } from './load-config';
import { postgresSslSchema, postgresTlsOptions } from './postgres-ssl';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const schema = z.strictObject({ postgres: z.strictObject({ ssl: postgresSslSchema }).prefault({}) });

function parse(ssl: unknown, env: Record<string, string> = {}) {
  return parseConfig(schema, { postgres: { ssl } }, { source: 'app.yaml', env }).postgres.ssl;
}

function rejects(ssl: unknown, path: string, message: RegExp): void {
  assert.throws(
    () => parse(ssl),
    (err: unknown) => err instanceof ConfigError && err.path === path && message.test(err.message),
  );
}

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-ssl-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('postgres ssl settings', () => {
  it('is off unless asked for', () => {
    assert.deepEqual(parse(undefined), { mode: 'disable' });
    assert.equal(postgresTlsOptions(parse(undefined), { baseDir: '/', path: 'postgres.ssl' }), false);
  });

  it('refuses an unknown mode, naming the key and the modes', () => {
    rejects({ mode: 'prefer' }, 'postgres.ssl.mode', /disable.*require.*verify-ca.*verify-full/);
    rejects({ mode: 'verify_full' }, 'postgres.ssl.mode', /verify-full/);
  });

  it('refuses certificates with mode disable (they would be silently ignored)', () => {
    rejects({ ca: 'ca.pem' }, 'postgres.ssl.ca', /mode is disable/);
  });

  it('refuses verify-ca without a CA', () => {
    rejects({ mode: 'verify-ca' }, 'postgres.ssl.ca', /required by verify-ca/);
  });

  it('refuses a client certificate without its key', () => {
    rejects({ mode: 'require', cert: 'client.crt' }, 'postgres.ssl.key', /set both or neither/);
  });

  it('refuses unknown keys', () => {
    assert.throws(() => parse({ mode: 'require', rootcert: 'x' }), ConfigError);
  });

  it('require: encrypted, the server not verified', () => {
    assert.deepEqual(postgresTlsOptions(parse({ mode: 'require' }), { baseDir: '/', path: 'postgres.ssl' }), {
      rejectUnauthorized: false,
    });
  });

  it('verify-full: chain and host name checked, files read relative to the configuration folder', () => {
    const dir = folderWith({ 'ca.pem': CA, 'client.crt': CA, 'client.key': KEY });
    const tls = postgresTlsOptions(
      parse({ mode: 'verify-full', ca: 'ca.pem', cert: 'client.crt', key: 'client.key' }),
      {
        baseDir: dir,
        path: 'postgres.ssl',
      },
    );
    assert.deepEqual(tls, { ca: CA, cert: CA, key: KEY, rejectUnauthorized: true });
  });

  it('verify-ca: chain checked, any host name accepted; require with a CA behaves the same (libpq)', () => {
    const dir = folderWith({ 'ca.pem': CA });
    for (const mode of ['verify-ca', 'require']) {
      const tls = postgresTlsOptions(parse({ mode, ca: join(dir, 'ca.pem') }), {
        baseDir: '/',
        path: 'postgres.ssl',
      });
      assert.ok(tls);
      assert.equal(tls.rejectUnauthorized, true);
      assert.equal(tls.ca, CA);
      assert.equal(tls.checkServerIdentity?.(), undefined);
    }
  });

  it('takes inline PEM from an environment variable, also with \\n written out', () => {
    const ssl = parse({ mode: 'verify-full', ca: '${PG_CA}' }, { PG_CA: CA.replaceAll('\n', '\\n') });
    const tls = postgresTlsOptions(ssl, { baseDir: '/nowhere', path: 'postgres.ssl' });
    assert.ok(tls);
    assert.equal(tls.ca, CA);
  });

  it('names the path and the key of a missing file', () => {
    const dir = folderWith({});
    assert.throws(
      () =>
        postgresTlsOptions(parse({ mode: 'verify-full', ca: 'missing-ca.pem' }), {
          baseDir: dir,
          path: 'postgres.ssl',
          source: 'source.yaml',
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'postgres.ssl.ca' &&
        err.message.includes(join(dir, 'missing-ca.pem')) &&
        err.message.includes('ENOENT') &&
        err.message.startsWith('source.yaml: at postgres.ssl.ca'),
    );
  });

  it('refuses a file that is not PEM', () => {
    const dir = folderWith({ 'ca.der': 'binary stuff' });
    assert.throws(
      () =>
        postgresTlsOptions(parse({ mode: 'verify-full', ca: 'ca.der' }), { baseDir: dir, path: 'sink.ssl' }),
      (err: unknown) =>
        err instanceof ConfigError && err.path === 'sink.ssl.ca' && /not PEM/.test(err.message),
    );
  });
});
