import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogEntry, logLevel } from 'kafkajs';
import { ConfigError } from '@sluice/errors';
import { kafkaConfigSchema } from '../config/kafka-config';
import { createKafkaClient, toKafkaJsConfig } from './create-kafka-client';
import { kafkajsConsoleLog } from './kafkajs-log';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-kafka-')), name);
  writeFileSync(file, text);
  return file;
}

describe('toKafkaJsConfig', () => {
  it('maps timeouts, retry, SASL and the WARN default level', () => {
    const config = kafkaConfigSchema.parse({
      brokers: ['a:9092', 'b:9092'],
      clientId: 'orders',
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
    });
    const frozen = structuredClone(config);
    const mapped = toKafkaJsConfig(config);
    assert.deepEqual(mapped, {
      brokers: ['a:9092', 'b:9092'],
      clientId: 'orders',
      ssl: false,
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' },
      connectionTimeout: 10_000,
      requestTimeout: 30_000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 30_000, multiplier: 2, factor: 0.2 },
      logLevel: logLevel.WARN,
      logCreator: kafkajsConsoleLog,
    });
    const tuned = toKafkaJsConfig(
      kafkaConfigSchema.parse({
        brokers: ['a:9092'],
        retry: { initialRetryTimeMs: 50, maxRetryTimeMs: 900 },
      }),
    );
    assert.equal(tuned.retry?.initialRetryTime, 50, "kafkajs's own names, so a setting is not ignored");
    assert.equal(tuned.retry?.maxRetryTime, 900);
    assert.notEqual(mapped.brokers, config.brokers, 'the caller keeps its own array');
    assert.deepEqual(config, frozen);
  });

  it('reads the TLS files when the client is built', () => {
    const ca = tempFile('ca.pem', PEM);
    const cert = tempFile('client.pem', PEM);
    const key = tempFile('client.key', KEY_PEM);
    const config = kafkaConfigSchema.parse({ brokers: ['a:9093'], tls: { enabled: true, ca, cert, key } });
    const mapped = toKafkaJsConfig(config);
    assert.deepEqual(mapped.ssl, { ca: PEM, cert: PEM, key: KEY_PEM, rejectUnauthorized: true });
  });

  it('names the file and the YAML path when a TLS file cannot be read', () => {
    const config = kafkaConfigSchema.parse({
      brokers: ['a:9093'],
      tls: { enabled: true, ca: '/nonexistent/ca.pem' },
    });
    assert.throws(
      () => toKafkaJsConfig(config, { source: 'sink.yaml', configPath: 'output.kafka' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'output.kafka.tls.ca' &&
        err.source === 'sink.yaml' &&
        err.message ===
          'sink.yaml: at output.kafka.tls.ca: cannot read TLS file /nonexistent/ca.pem (ENOENT)',
    );
  });

  it('refuses a key path that is a directory, naming it', () => {
    // A directory rather than chmod 000: the suites may run as root, who reads any file.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
    const cert = tempFile('c.pem', PEM);
    const config = kafkaConfigSchema.parse({ brokers: ['a:9093'], tls: { enabled: true, cert, key: dir } });
    assert.throws(
      () => toKafkaJsConfig(config),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'kafka.tls.key' &&
        err.message.endsWith(`at kafka.tls.key: cannot read TLS file ${dir} (EISDIR)`),
    );
  });

  it('refuses a TLS file that is not PEM', () => {
    const ca = tempFile('ca.der', '\u0030\u0082binary');
    const config = kafkaConfigSchema.parse({ brokers: ['a:9093'], tls: { enabled: true, ca } });
    assert.throws(
      () => toKafkaJsConfig(config),
      (err: unknown) =>
        err instanceof ConfigError && err.path === 'kafka.tls.ca' && err.message.includes(`${ca} is not PEM`),
    );
  });
});

describe('createKafkaClient', () => {
  it("sends kafkajs's log entries at WARN and above to the caller's logCreator", () => {
    const entries: LogEntry[] = [];
    const kafka = createKafkaClient(kafkaConfigSchema.parse({ brokers: ['a:9092'] }), {
      logCreator: () => (entry) => entries.push(entry),
    });
    kafka.logger().info('not wanted');
    kafka.logger().warn('wanted');
    assert.deepEqual(
      entries.map((e) => [e.level, e.log.message]),
      [[logLevel.WARN, 'wanted']],
    );
  });
});
