import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { NestPinoLogger } from './nest-pino-logger';
import { redactSecrets, secretsOf } from './secrets';

const config = {
  postgres: { host: 'db', user: 'app', password: 's3cr3t-pg' },
  registry: { url: 'http://reg:8081', auth: { username: 'u', password: 'reg-pa"ss' } },
  sink: { url: 'postgres://writer:url-pw%21@db:5432/sink', headers: { 'X-Api-Key': 'k-123456' } },
  kafka: { sasl: { mechanism: 'plain', username: 'k', password: 'kafka-pw' } },
  logging: { level: 'info' as const },
};

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('secrets in logs', () => {
  it('finds passwords, tokens, api keys and URL passwords (raw and decoded) in a configuration', () => {
    const secrets = secretsOf(config);
    for (const s of ['s3cr3t-pg', 'reg-pa"ss', 'k-123456', 'kafka-pw', 'url-pw%21'])
      assert.ok(secrets.includes(s), `missing ${s}`);
    // 7 characters: removed from URLs and by field name, not from free text.
    assert.ok(!secrets.includes('url-pw!'));
    assert.ok(!secrets.includes('app') && !secrets.includes('db'));
  });

  it('finds the API key of an auth section (type api-key, api-key-query), in a list too, and no other value', () => {
    const secrets = secretsOf({
      destinations: [{ auth: { type: 'api-key', header: 'X-Key', value: 'sink-api-key-1' } }],
      streams: [
        { auth: { type: 'api-key-query', param: 'key', value: 'poll-api-key-2' }, version: 'updated_at' },
      ],
      filter: { value: 'not-a-secret-at-all' },
    });
    assert.ok(secrets.includes('sink-api-key-1') && secrets.includes('poll-api-key-2'));
    assert.ok(!secrets.includes('not-a-secret-at-all'));
  });

  it('never writes a configured secret, whatever field, message, error or stack carries it', () => {
    const { lines, stream } = capture();
    const logger = createLogger('test', config.logging, { secretsFrom: config, destination: stream });
    logger.info({ config }, 'starting with the whole configuration');
    logger.error(
      { err: new Error('connect postgres://writer:url-pw%21@db:5432/sink failed (password s3cr3t-pg)') },
      'connection failed',
    );
    logger.warn(`retrying with ${JSON.stringify(config.registry.auth)}`);
    new NestPinoLogger(logger).error(new Error('sasl kafka-pw rejected'));
    assert.equal(lines.length, 4);
    const all = lines.join('');
    for (const secret of secretsOf(config)) assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
    // JSON-escaped form of a secret with a quote
    assert.ok(!all.includes('reg-pa\\"ss'));
    assert.match(all, /\[REDACTED\]/);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), 'lines stay JSON');
  });

  it("keeps words that merely contain a secret: password postgres leaves sink-postgres's name alone", () => {
    const { lines, stream } = capture();
    const local = { target: { password: 'postgres' }, logging: { level: 'info' as const } };
    const logger = createLogger('sink-postgres', local.logging, { secretsFrom: local, destination: stream });
    logger.info('connecting with password=postgres to postgres://app:postgres@db/sink');
    const line = JSON.parse(lines.at(-1)!) as { service: string; msg: string };
    assert.equal(line.service, 'sink-postgres');
    assert.equal(line.msg, 'connecting with password=[REDACTED] to postgres://app:[REDACTED]@db/sink');
  });

  it('removes a short secret by field name and from URLs, without breaking a line, and warns about it', () => {
    const { lines, stream } = capture();
    const short = { db: { password: '1' }, logging: { level: 'info' as const } };
    const logger = createLogger('test', short.logging, { secretsFrom: short, destination: stream });
    logger.info({ count: 1, db: { password: '1' } }, 'url postgres://u:1@h/db');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `still JSON: ${line}`);
    const last = JSON.parse(lines.at(-1)!) as { count: number; db: { password: string }; msg: string };
    assert.equal(last.count, 1, 'a number equal to the secret is left alone');
    assert.equal(last.db.password, '[REDACTED]');
    assert.equal(last.msg, 'url postgres://u:[REDACTED]@h/db');
    assert.match(lines[0]!, /shorter than 8 characters/);
  });

  it("finds a mask's HMAC key (pipeline mask step `key`, source-postgres rule `salt`), not any `key`", () => {
    const secrets = secretsOf({
      steps: [{ mask: { fields: ['email'], with: 'hash', key: 'mask-hmac-key-0123456789' } }],
      columns: { mask: [{ columns: ['public.t.email'], with: 'hash', salt: 'column-hmac-key-0123' }] },
      route: { key: 'not-a-secret-record-key' },
    });
    assert.ok(secrets.includes('mask-hmac-key-0123456789') && secrets.includes('column-hmac-key-0123'));
    assert.ok(!secrets.includes('not-a-secret-record-key'));
  });

  it('adds more sources: another configuration searched the same way, or secret strings themselves', () => {
    const pipeline = {
      steps: [
        { enrich: { connection: 'postgres://lookup:enrich-url-pw@db/ref' } },
        { mask: { with: 'hash', key: 'pipeline-mask-key-01' } },
      ],
    };
    const secrets = secretsOf(config, [pipeline, 'explicit-secret-1', '']);
    for (const s of ['s3cr3t-pg', 'enrich-url-pw', 'pipeline-mask-key-01', 'explicit-secret-1'])
      assert.ok(secrets.includes(s), `missing ${s}`);
    assert.ok(!secrets.includes(''));
    const { lines, stream } = capture();
    const logger = createLogger('test', config.logging, {
      secretsFrom: config,
      moreSecrets: [pipeline, 'explicit-secret-1', 'short'],
      destination: stream,
    });
    logger.info('enrich-url-pw pipeline-mask-key-01 explicit-secret-1');
    assert.match(lines[0]!, /shorter than 8 characters/, 'a short extra secret is warned about');
    assert.equal((JSON.parse(lines.at(-1)!) as { msg: string }).msg, '[REDACTED] [REDACTED] [REDACTED]');
  });

  it('redactSecrets leaves text without secrets unchanged', () => {
    assert.equal(redactSecrets('nothing here', ['abc']), 'nothing here');
    assert.equal(redactSecrets('x abc y abc', ['abc']), 'x [REDACTED] y [REDACTED]');
  });
});
