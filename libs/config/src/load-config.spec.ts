import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@sluice/errors';
import { loadConfigFile, parseConfig } from './load-config';

const schema = z.object({
  kafka: z.object({ brokers: z.array(z.string().min(1)).min(1), clientId: z.string().default('sluice') }),
  password: z.string().optional(),
});

function writeYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const file = join(dir, 'app.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfigFile', () => {
  it('reads YAML, applies defaults and interpolates ${ENV} and ${ENV:-default}', () => {
    const file = writeYaml('kafka:\n  brokers: ["${BROKER}", "${OTHER:-localhost:9093}"]\npassword: ${PW}\n');
    const cfg = loadConfigFile(schema, file, { env: { BROKER: '127.0.0.1:9092', PW: 's3cret' } });
    assert.deepEqual(cfg, {
      kafka: { brokers: ['127.0.0.1:9092', 'localhost:9093'], clientId: 'sluice' },
      password: 's3cret',
    });
  });

  it('names the YAML path and what was expected when a value is wrong', () => {
    const file = writeYaml('kafka:\n  brokers: [42]\n');
    assert.throws(
      () => loadConfigFile(schema, file, { env: {} }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'kafka.brokers[0]' &&
        /kafka\.brokers\[0\]: .*string/i.test(err.message) &&
        err.message.startsWith(file),
    );
  });

  it('refuses a missing environment variable, naming it and where it is used', () => {
    const file = writeYaml('kafka:\n  brokers: [a]\npassword: ${NOT_SET_ANYWHERE}\n');
    assert.throws(
      () => loadConfigFile(schema, file, { env: {} }),
      /at password: environment variable NOT_SET_ANYWHERE is not set/,
    );
  });

  it('reads a missing environment variable as a placeholder naming it when asked (no secrets needed)', () => {
    const file = writeYaml('kafka:\n  brokers: ["${B:-b:9092}"]\npassword: ${NOT_SET_ANYWHERE}\n');
    assert.deepEqual(loadConfigFile(schema, file, { env: {}, unset: 'placeholder' }), {
      kafka: { brokers: ['b:9092'], clientId: 'sluice' },
      password: '<NOT_SET_ANYWHERE is not set in this environment>',
    });
  });

  it('reports YAML syntax errors with line and column', () => {
    const file = writeYaml('kafka:\n  brokers: [a\n  x: : :\n');
    assert.throws(
      () => loadConfigFile(schema, file, { env: {} }),
      /YAML syntax error at line \d+, column \d+/,
    );
  });

  it('reports an unreadable file as a ConfigError naming the file', () => {
    assert.throws(
      () => loadConfigFile(schema, '/nonexistent/sluice.yaml'),
      (err: unknown) =>
        err instanceof ConfigError && /\/nonexistent\/sluice\.yaml: cannot read/.test(err.message),
    );
  });

  it('never mutates the caller object and keeps $${ as a literal', () => {
    const raw = { kafka: { brokers: ['$${NOT_INTERPOLATED}'] } };
    const copy = structuredClone(raw);
    const cfg = parseConfig(schema, raw, { env: {} });
    assert.deepEqual(raw, copy);
    assert.equal(cfg.kafka.brokers[0], '${NOT_INTERPOLATED}');
  });
});
