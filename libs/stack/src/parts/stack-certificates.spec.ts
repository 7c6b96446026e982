import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate, stackCertificates } from './stack-certificates';

describe('stackCertificates', () => {
  it('makes a CA and a loopback server certificate it signed, once', () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-certs-'));
    try {
      const certs = stackCertificates(join(home, 'tls'));
      const ca = new X509Certificate(readFileSync(certs.caCert));
      const server = new X509Certificate(readFileSync(certs.serverCert));
      assert.ok(ca.ca);
      assert.ok(server.verify(ca.publicKey));
      assert.ok(server.checkHost('localhost'));
      assert.ok(server.checkIP('127.0.0.1'));
      assert.match(readFileSync(certs.serverKey, 'utf8'), /BEGIN PRIVATE KEY/);
      assert.equal(statSync(certs.serverKey).mode & 0o077, 0);
      const again = stackCertificates(join(home, 'tls'));
      assert.equal(readFileSync(again.caCert, 'utf8'), readFileSync(certs.caCert, 'utf8'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('issues a client certificate whose common name is the user', () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-certs-'));
    try {
      const certs = stackCertificates(join(home, 'tls'));
      const certFile = join(home, 'client.crt');
      issueCertificate(certs, {
        certFile,
        keyFile: join(home, 'client.key'),
        commonName: 'postgres',
        client: true,
      });
      const client = new X509Certificate(readFileSync(certFile));
      assert.match(client.subject, /CN=postgres/);
      assert.ok(client.verify(new X509Certificate(readFileSync(certs.caCert)).publicKey));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
