import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaConfigSchema } from '@sluice/kafka';
import { unverifiedTlsSettings, warnUnverifiedTls } from './unverified-tls';

function recorder() {
  const lines: Array<{ fields: unknown; message: string }> = [];
  return {
    lines,
    logger: { warn: (fields: unknown, message: string) => void lines.push({ fields, message }) } as never,
  };
}

describe('unverified TLS settings', () => {
  it('names kafka.tls.rejectUnauthorized: false, once, with the setting in the log line', () => {
    const kafka = kafkaConfigSchema.parse({
      brokers: ['kafka:9093'],
      tls: { enabled: true, rejectUnauthorized: false },
    });
    const { lines, logger } = recorder();
    assert.deepEqual(warnUnverifiedTls({ kafka, http: { port: 8101 } }, logger), [
      'kafka.tls.rejectUnauthorized',
    ]);
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0]!.fields, { setting: 'kafka.tls.rejectUnauthorized' });
    assert.match(
      lines[0]!.message,
      /TLS CERTIFICATE VERIFICATION IS OFF \(kafka\.tls\.rejectUnauthorized: false\)/,
    );
  });

  it('says nothing for verified TLS (the default) or no TLS at all', () => {
    const { lines, logger } = recorder();
    const verified = kafkaConfigSchema.parse({ brokers: ['kafka:9093'], tls: { enabled: true } });
    const plain = kafkaConfigSchema.parse({ brokers: ['kafka:9092'] });
    assert.deepEqual(warnUnverifiedTls({ kafka: verified }, logger), []);
    assert.deepEqual(warnUnverifiedTls({ kafka: plain }, logger), []);
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
});
