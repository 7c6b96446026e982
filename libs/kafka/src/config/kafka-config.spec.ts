import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { kafkaConfigSchema } from './kafka-config';

// Apps nest the Kafka settings under `kafka:`; parse them that way so error paths read as in YAML.
const appSchema = z.object({ kafka: kafkaConfigSchema });
const SOURCE = 'app.yaml';

function parse(kafka: unknown, env: Record<string, string> = {}) {
  return parseConfig(appSchema, { kafka }, { source: SOURCE, env }).kafka;
}

/** Asserts a ConfigError at `path` whose message matches `pattern`. */
function assertConfigError(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.path, path);
    assert.match(err.message, pattern);
    assert.ok(err.message.startsWith(`${SOURCE}: `), err.message);
    return true;
  });
}

describe('kafkaConfigSchema', () => {
  it('applies the documented defaults', () => {
    assert.deepEqual(parse({ brokers: ['127.0.0.1:9092'] }), {
      brokers: ['127.0.0.1:9092'],
      clientId: 'sluice',
      tls: { enabled: false, rejectUnauthorized: true },
      connectionTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      retry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000, multiplier: 2, factor: 0.2 },
      logLevel: 'warn',
    });
  });

  it('documents every field with .describe()', () => {
    const shape = kafkaConfigSchema.shape;
    for (const [name, field] of Object.entries(shape)) {
      assert.ok(field.description, `kafka.${name} has no description`);
    }
    for (const [name, field] of Object.entries(shape.tls.unwrap().shape)) {
      assert.ok(field.description, `kafka.tls.${name} has no description`);
    }
  });

  it('takes brokers, flags and numbers from environment variables', () => {
    const cfg = parse(
      {
        brokers: '${KAFKA_BROKERS}',
        tls: { enabled: '${KAFKA_TLS}', rejectUnauthorized: '${KAFKA_TLS_VERIFY:-yes}' },
        requestTimeoutMs: '${KAFKA_TIMEOUT}',
        sasl: { mechanism: 'SCRAM-SHA-512', username: 'sluice', password: '${KAFKA_PASSWORD}' },
      },
      {
        KAFKA_BROKERS: 'kafka-0.kafka:9092, kafka-1.kafka:9092,',
        KAFKA_TLS: 'true',
        KAFKA_TIMEOUT: '45000',
        KAFKA_PASSWORD: 's3cret',
      },
    );
    assert.deepEqual(cfg.brokers, ['kafka-0.kafka:9092', 'kafka-1.kafka:9092']);
    assert.deepEqual(cfg.tls, { enabled: true, rejectUnauthorized: true });
    assert.equal(cfg.requestTimeoutMs, 45_000);
    assert.deepEqual(cfg.sasl, {
      mechanism: 'scram-sha-512',
      username: 'sluice',
      password: 's3cret',
      allowPlainWithoutTls: false,
    });
  });

  it('accepts DNS names, IPv4, bracketed IPv6 and Compose-style names', () => {
    const brokers = [
      'localhost:9092',
      '10.0.0.7:19092',
      '[::1]:9092',
      'kafka_1:29092',
      'b-1.msk.eu-west-1.amazonaws.com:9096',
    ];
    assert.deepEqual(parse({ brokers }).brokers, brokers);
  });

  for (const bad of [
    'localhost',
    'localhost:',
    'host:0',
    'host:70000',
    'PLAINTEXT://host:9092',
    'host:90a',
    ':9092',
    '::1:9092',
  ]) {
    it(`refuses broker ${JSON.stringify(bad)}, naming its index`, () => {
      assertConfigError(
        () => parse({ brokers: ['ok:9092', bad] }),
        'kafka.brokers[1]',
        /at kafka\.brokers\[1\]: expected host:port/,
      );
    });
  }

  it('refuses an empty or missing broker list', () => {
    assertConfigError(() => parse({ brokers: [] }), 'kafka.brokers', /at least one broker/);
    assertConfigError(() => parse({ brokers: ' , ' }), 'kafka.brokers', /at least one broker/);
    assertConfigError(() => parse({}), 'kafka.brokers', /at kafka\.brokers/);
  });

  it('refuses an unknown SASL mechanism, listing the supported ones', () => {
    assertConfigError(
      () => parse({ brokers: ['h:1'], sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }),
      'kafka.sasl.mechanism',
      /plain.*scram-sha-256.*scram-sha-512/,
    );
  });

  it('refuses SASL without a password', () => {
    assertConfigError(
      () => parse({ brokers: ['h:1'], sasl: { mechanism: 'plain', username: 'u' } }),
      'kafka.sasl.password',
      /password/,
    );
  });

  it('refuses SASL plain over a connection without TLS unless explicitly allowed', () => {
    const plain = { mechanism: 'plain', username: 'u', password: 'p' };
    assertConfigError(
      () => parse({ brokers: ['h:1'], sasl: plain }),
      'kafka.sasl.mechanism',
      /clear text.*tls\.enabled/,
    );
    assert.equal(parse({ brokers: ['h:1'], sasl: plain, tls: { enabled: true } }).sasl?.mechanism, 'plain');
    assert.equal(
      parse({ brokers: ['h:1'], sasl: { ...plain, allowPlainWithoutTls: true } }).sasl?.allowPlainWithoutTls,
      true,
    );
    // SCRAM never sends the password itself: allowed without TLS.
    assert.equal(
      parse({ brokers: ['h:1'], sasl: { ...plain, mechanism: 'scram-sha-512' } }).sasl?.mechanism,
      'scram-sha-512',
    );
  });

  it('refuses misspelt keys instead of ignoring them', () => {
    assertConfigError(
      () => parse({ brokers: ['h:1'], tls: { enabled: true, rejectUnauthorised: false } }),
      'kafka.tls',
      /rejectUnauthorised/,
    );
  });

  it('refuses certificate files while TLS is off, and a cert without its key', () => {
    assertConfigError(
      () => parse({ brokers: ['h:1'], tls: { ca: '/etc/ca.pem' } }),
      'kafka.tls.ca',
      /tls\.enabled is false/,
    );
    assertConfigError(
      () => parse({ brokers: ['h:1'], tls: { enabled: true, cert: '/etc/c.pem' } }),
      'kafka.tls.key',
      /set both or neither/,
    );
  });

  it('refuses a flag that is not a boolean', () => {
    assertConfigError(
      () => parse({ brokers: ['h:1'], tls: { enabled: 'maybe' } }),
      'kafka.tls.enabled',
      /boolean/,
    );
  });

  it('refuses an unknown log level', () => {
    assertConfigError(() => parse({ brokers: ['h:1'], logLevel: 'verbose' }), 'kafka.logLevel', /warn/);
  });
});
