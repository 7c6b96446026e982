import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { kafkaConfigSchema } from '../config/kafka-config';
import { checkKafkaTls, KafkaTlsError } from './kafka-tls-check';

/** A self-signed certificate for 127.0.0.1 (its own CA), made by openssl. */
function selfSigned(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], // prettier-ignore
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

describe('checkKafkaTls', () => {
  let dir: string;
  let server: Server;
  let broker: string;
  let handshakes = 0;
  let brokerCert: string;
  let otherCa: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-tls-'));
    const own = selfSigned(dir, 'broker');
    brokerCert = own.certFile;
    otherCa = selfSigned(dir, 'other').certFile;
    server = createServer({ cert: readFileSync(own.certFile), key: readFileSync(own.keyFile) });
    server.on('connection', () => handshakes++);
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    broker = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (tls: Record<string, unknown>, brokers = [broker]) =>
    kafkaConfigSchema.parse({ brokers, tls: { enabled: true, ...tls }, connectionTimeoutMs: 2000 });

  it('a certificate signed by the configured CA verifies', async () => {
    assert.deepEqual(await checkKafkaTls(config({ ca: brokerCert })), { outcome: 'verified', broker });
  });

  it('a certificate from another CA: one handshake, one error naming the broker, the code and kafka.tls.ca', async () => {
    const before = handshakes;
    await assert.rejects(checkKafkaTls(config({ ca: otherCa })), (error: unknown) => {
      assert.ok(error instanceof KafkaTlsError);
      assert.equal(error.retriable, false);
      assert.match(
        error.message,
        new RegExp(
          `^Kafka broker ${broker}'s certificate is not trusted \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT)\\): kafka\\.tls\\.ca \\(.*other\\.crt\\) did not sign it: set kafka\\.tls\\.ca to the CA that signed it$`,
        ),
      );
      return true;
    });
    assert.equal(handshakes - before, 1);
  });

  it("without tls.ca, Node's bundled CAs do not trust it either, and the message says so", async () => {
    await assert.rejects(
      checkKafkaTls(config({})),
      /not trusted .*set kafka\.tls\.ca to the CA that signed it \(without it/,
    );
  });

  it('a broker that does not answer is not an error (kafkajs retries it); the next one is tried', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const down = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const alone = await checkKafkaTls(config({ ca: otherCa }, [down]));
    assert.equal(alone.outcome, 'unreachable');
    assert.deepEqual(await checkKafkaTls(config({ ca: brokerCert }, [down, broker])), {
      outcome: 'verified',
      broker,
    });
  });

  it('nothing to check with TLS off or certificate checking off', async () => {
    const before = handshakes;
    assert.deepEqual(await checkKafkaTls(kafkaConfigSchema.parse({ brokers: [broker] })), {
      outcome: 'skipped',
    });
    assert.deepEqual(await checkKafkaTls(config({ rejectUnauthorized: false })), { outcome: 'skipped' });
    assert.equal(handshakes, before);
  });
});
