import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { postgresSslSchema } from './postgres-ssl';
import { unverifiedTlsSettings, warnUnverifiedTls } from './unverified-tls';

function recorder() {
  const lines: Array<{ fields: unknown; message: string }> = [];
  return {
    lines,
    logger: { warn: (fields: unknown, message: string) => void lines.push({ fields, message }) },
  };
}

// Kafka's tls section as kafkaConfigSchema leaves it (defaults applied).
const kafkaTls = (tls: Record<string, unknown>) => ({
  brokers: ['kafka:9093'],
  tls: { enabled: true, rejectUnauthorized: true, ...tls },
});

describe('unverified TLS settings', () => {
  it('names kafka.tls.rejectUnauthorized: false, once, with the setting in the log line', () => {
    const { lines, logger } = recorder();
    const config = { kafka: kafkaTls({ rejectUnauthorized: false }), http: { port: 8101 } };
    assert.deepEqual(warnUnverifiedTls(config, logger), ['kafka.tls.rejectUnauthorized']);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0]!.fields, { setting: 'kafka.tls.rejectUnauthorized' });
    assert.match(
      lines[0]!.message,
      /TLS CERTIFICATE VERIFICATION IS OFF \(kafka\.tls\.rejectUnauthorized: false\)/,
    );
  });

  it('says nothing for verified TLS (the default) or no TLS at all', () => {
    const { lines, logger } = recorder();
    assert.deepEqual(warnUnverifiedTls({ kafka: kafkaTls({}) }, logger), []);
    assert.deepEqual(
      warnUnverifiedTls({ kafka: { brokers: ['kafka:9092'], tls: { enabled: false } } }, logger),
      [],
    );
    assert.equal(lines.length, 0);
  });

  it('finds the switch in any section and in lists, and ignores rejectUnauthorized: true', () => {
    const config = {
      kafka: { tls: { rejectUnauthorized: true } },
      target: { ssl: { rejectUnauthorized: false } },
      destinations: [{ tls: {} }, { tls: { rejectUnauthorized: false } }],
      name: 'rejectUnauthorized',
    };
    assert.deepEqual(unverifiedTlsSettings(config), [
      'target.ssl.rejectUnauthorized',
      'destinations[1].tls.rejectUnauthorized',
    ]);
  });

  it('Postgres ssl.mode: require without a ca: one warning naming postgres.ssl.mode and verify-full', () => {
    const { lines, logger } = recorder();
    const config = { postgres: { host: 'db', ssl: postgresSslSchema.parse({ mode: 'require' }) } };
    assert.deepEqual(warnUnverifiedTls(config, logger), ['postgres.ssl.mode']);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0]!.fields, { setting: 'postgres.ssl.mode' });
    assert.match(
      lines[0]!.message,
      /^TLS CERTIFICATE VERIFICATION IS OFF \(postgres\.ssl\.mode: require\): the connection is encrypted but the server is not verified.*use mode verify-full with the server's CA \(postgres\.ssl\.ca\) instead$/,
    );
  });

  it('Postgres require with a ca (checked as verify-ca), verify-ca, verify-full and disable are not warned', () => {
    const ssl = (input: Record<string, unknown>) => postgresSslSchema.parse(input);
    const config = {
      target: { ssl: ssl({ mode: 'require', ca: 'ca.pem' }) },
      database: { ssl: ssl({ mode: 'verify-full' }) },
      lookups: [{ ssl: ssl({ mode: 'verify-ca', ca: 'ca.pem' }) }, { ssl: ssl({}) }],
    };
    assert.deepEqual(unverifiedTlsSettings(config), []);
  });

  it('names the setting under its prefix (a pipeline file step) and in lists', () => {
    const { lines, logger } = recorder();
    const pipeline = {
      steps: [{ filter: {} }, { enrich: { connection: 'postgres://crm', ssl: { mode: 'require' } } }],
    };
    assert.deepEqual(warnUnverifiedTls(pipeline, logger, 'pipeline'), ['pipeline.steps[1].enrich.ssl.mode']);
    assert.match(lines[0]!.message, /\(pipeline\.steps\[1\]\.enrich\.ssl\.ca\)/);
  });
});
