import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  saslSslListenerProperties,
  scramFormatArgs,
  stackSaslUser,
  writePemKeystore,
} from './kafka-sasl-ssl';

describe('the local stack SASL_SSL listener', () => {
  it('makes the user once, with a random password only its owner can read, and reads it back', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-sasl-')), 'sasl.env');
    const first = stackSaslUser(file);
    assert.equal(first.username, 'sluice');
    assert.match(first.password, /^[0-9a-f]{36}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(stackSaslUser(file), first);
    assert.match(readFileSync(file, 'utf8'), new RegExp(`^KAFKA_SASL_PASSWORD=${first.password}$`, 'm'));
  });

  it('declares SCRAM-SHA-512 and PLAIN for the user, TLS from a PEM key store, no client certificate', () => {
    const user = { username: 'sluice', password: 'abc123' };
    const lines = saslSslListenerProperties('/x/keystore.pem', user);
    assert.ok(lines.includes('listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN'));
    assert.ok(lines.includes('listener.name.sasl_ssl.ssl.keystore.type=PEM'));
    assert.ok(lines.includes('listener.name.sasl_ssl.ssl.keystore.location=/x/keystore.pem'));
    assert.ok(lines.some((l) => l.endsWith('PlainLoginModule required user_sluice="abc123";')));
    assert.deepEqual(scramFormatArgs(user), ['--add-scram', 'SCRAM-SHA-512=[name=sluice,password=abc123]']);
  });

  it('writes the key store as key, then certificate chain, owner-readable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-ks-'));
    const files = { serverKey: 'KEY', serverCert: 'CERT', caCert: 'CA' } as const;
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), `${text}\n`);
    const out = join(dir, 'keystore.pem');
    writePemKeystore(
      {
        dir,
        caKey: join(dir, 'none'),
        serverKey: join(dir, 'serverKey'),
        serverCert: join(dir, 'serverCert'),
        caCert: join(dir, 'caCert'),
      },
      out,
    );
    assert.equal(readFileSync(out, 'utf8'), 'KEY\nCERT\nCA\n');
    assert.equal(statSync(out).mode & 0o777, 0o600);
  });
});
