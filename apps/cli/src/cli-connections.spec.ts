import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { cliConnections, type ConnectionFlags, connectionOptions } from './cli-connections';
import { UsageError } from './cli-errors';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-connections-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Asserts a usage error whose message names the flag, the file and `pattern` (the key). */
function refused(flags: ConnectionFlags, flag: string, path: string, pattern: RegExp): void {
  assert.throws(
    () => cliConnections(flags, 'sluice-cli-test'),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
      assert.ok(err.message.startsWith(`${flag} ${path}: `), err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

const SECURED = [
  'kafka:',
  '  brokers: [kafka-0.example.com:9096, kafka-1.example.com:9096]',
  '  tls: { enabled: true }',
  '  sasl: { mechanism: SCRAM-SHA-512, username: sluice, password: "${CLI_SPEC_KAFKA_PASSWORD}" }',
  'registry:',
  '  url: https://registry.example.com',
  '  auth: { username: sluice, password: "${CLI_SPEC_REGISTRY_PASSWORD:-fallback}" }',
  '',
].join('\n');

describe('cliConnections', () => {
  process.env.CLI_SPEC_KAFKA_PASSWORD = 'kafka-secret';

  it("without flags: the local stack's broker and registry, plain TCP, failing fast", () => {
    const c = cliConnections({}, 'sluice-cli-test');
    assert.equal(c.kafka.brokers.length, 1);
    assert.match(c.kafka.brokers[0]!, /^127\.0\.0\.1:\d+$/);
    assert.equal(c.kafka.tls.enabled, false);
    assert.equal(c.kafka.sasl, undefined);
    assert.equal(c.kafka.connectionTimeoutMs, 3_000);
    assert.equal(c.kafka.retry.retries, 2);
    assert.equal(c.kafka.clientId, 'sluice-cli-test');
    assert.match(c.registry.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(c.registryGiven, false);
  });

  it('--kafka-config: TLS, SASL and registry auth as the file says, ${ENV} resolved', () => {
    const c = cliConnections({ kafkaConfig: file('secured.yaml', SECURED) }, 'sluice-cli-test');
    assert.deepEqual(c.kafka.brokers, ['kafka-0.example.com:9096', 'kafka-1.example.com:9096']);
    assert.equal(c.kafka.tls.enabled, true);
    assert.deepEqual(c.kafka.sasl, {
      mechanism: 'scram-sha-512',
      username: 'sluice',
      password: 'kafka-secret',
      allowPlainWithoutTls: false,
    });
    assert.equal(c.kafka.clientId, 'sluice-cli-test');
    assert.equal(c.kafka.logLevel, 'nothing');
    assert.deepEqual(c.registry.auth, { username: 'sluice', password: 'fallback' });
    assert.equal(c.registry.url, 'https://registry.example.com');
    assert.equal(c.registryGiven, true);
  });

  it('--kafka-config as JSON', () => {
    const c = cliConnections(
      { kafkaConfig: file('kafka.json', '{"kafka": {"brokers": "a:9092,b:9092"}}') },
      'sluice-cli-test',
    );
    assert.deepEqual(c.kafka.brokers, ['a:9092', 'b:9092']);
    assert.equal(c.registryGiven, false);
  });

  it("--config: an app's kafka and registry sections; its other sections and their secrets are the app's", () => {
    const app = file(
      'sink-http.yaml',
      [
        SECURED,
        'group: orders-hook',
        'topics: [orders]',
        'destinations:',
        '  - { name: hook, url: "${CLI_SPEC_UNSET_URL}", method: POST, body: "{{ after }}" }',
        '',
      ].join('\n'),
    );
    const c = cliConnections({ config: app }, 'sluice-cli-test');
    assert.equal(c.kafka.sasl?.password, 'kafka-secret');
    assert.equal(c.registry.url, 'https://registry.example.com');
  });

  it("--config of an app without a kafka section: the app's own default broker", () => {
    const c = cliConnections({ config: file('bare.yaml', 'group: g\ntopics: [t]\n') }, 'sluice-cli-test');
    assert.deepEqual(c.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(c.registry.url, 'http://127.0.0.1:8081');
    // It names no registry: schemas diff/register refuse rather than write to the local one.
    assert.equal(c.registryGiven, false);
    const named = cliConnections(
      { config: file('named.yaml', 'group: g\ntopics: [t]\nregistry: { url: "https://r.example" }\n') },
      'sluice-cli-test',
    );
    assert.equal(named.registryGiven, true);
  });

  it('--brokers and --registry override the file, keeping its TLS, SASL and auth', () => {
    const c = cliConnections(
      { kafkaConfig: file('secured.yaml', SECURED), brokers: 'other:9093', registry: 'https://other' },
      'sluice-cli-test',
    );
    assert.deepEqual(c.kafka.brokers, ['other:9093']);
    assert.equal(c.kafka.sasl?.username, 'sluice');
    assert.equal(c.kafka.tls.enabled, true);
    assert.equal(c.registry.url, 'https://other');
    assert.equal(c.registry.auth?.username, 'sluice');
  });

  it('warns once on stderr, naming the file and the setting, when a file turns certificate checking off', () => {
    const unverified = file(
      'unverified.yaml',
      SECURED.replace('tls: { enabled: true }', 'tls: { enabled: true, rejectUnauthorized: false }'),
    );
    for (const flags of [{ kafkaConfig: unverified }, { config: unverified }]) {
      const lines: string[] = [];
      const c = cliConnections({ ...flags, brokers: '127.0.0.1:9096' }, 'sluice-cli-test', (line) =>
        lines.push(line),
      );
      assert.equal(c.kafka.tls.rejectUnauthorized, false);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(
        lines[0]!,
        new RegExp(
          `^warning: ${unverified.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: TLS CERTIFICATE VERIFICATION IS OFF \\(kafka\\.tls\\.rejectUnauthorized: false\\)`,
        ),
      );
    }
  });

  it('says nothing for a file that checks certificates, or without a file', () => {
    const lines: string[] = [];
    cliConnections({ kafkaConfig: file('checked.yaml', SECURED) }, 'sluice-cli-test', (line) =>
      lines.push(line),
    );
    cliConnections({}, 'sluice-cli-test', (line) => lines.push(line));
    assert.deepEqual(lines, []);
  });

  it('refuses a file that does not exist, naming it', () => {
    const missing = join(dir, 'no-such.yaml');
    refused({ kafkaConfig: missing }, '--kafka-config', missing, /cannot read .*ENOENT/);
    refused({ config: missing }, '--config', missing, /cannot read .*ENOENT/);
  });

  it('refuses invalid YAML, naming the file, line and column', () => {
    const bad = file('bad.yaml', 'kafka:\n  brokers: [a:9092\n');
    refused({ kafkaConfig: bad }, '--kafka-config', bad, /YAML syntax error at line \d+, column \d+/);
  });

  it('refuses a file that is not a map', () => {
    const list = file('list.yaml', '- kafka\n');
    refused({ kafkaConfig: list }, '--kafka-config', list, /expected a YAML map/);
  });

  it('refuses an unknown key, naming it and where it is', () => {
    const top = file('top.yaml', 'kafka: { brokers: [a:9092] }\nschemaRegistry: { url: http://x }\n');
    refused({ kafkaConfig: top }, '--kafka-config', top, /at \(root\): Unrecognized key: "schemaRegistry"/);
    const inner = file('inner.yaml', 'kafka: { brokers: [a:9092], tls: { enabled: true, verify: false } }\n');
    refused({ kafkaConfig: inner }, '--kafka-config', inner, /at kafka\.tls: Unrecognized key: "verify"/);
    const registry = file(
      'registry.yaml',
      'kafka: { brokers: [a:9092] }\nregistry: { url: http://x, user: u }\n',
    );
    refused({ kafkaConfig: registry }, '--kafka-config', registry, /at registry: Unrecognized key: "user"/);
    // An app file's own keys are the app's; one no app has is a typo that would send the command elsewhere.
    const typo = file('typo.yaml', 'kafak: { brokers: [a:9092] }\ngroup: g\n');
    refused({ config: typo }, '--config', typo, /at kafak: unknown key/);
  });

  it('refuses a missing kafka section in --kafka-config', () => {
    const empty = file('registry-only.yaml', 'registry: { url: http://x }\n');
    refused({ kafkaConfig: empty }, '--kafka-config', empty, /at kafka: /);
  });

  it('refuses an unset ${ENV} secret, naming the variable and the key', () => {
    const unset = file(
      'unset.yaml',
      'kafka: { brokers: [a:9092], sasl: { mechanism: scram-sha-256, username: u, password: "${CLI_SPEC_UNSET}" } }\n',
    );
    refused(
      { kafkaConfig: unset },
      '--kafka-config',
      unset,
      /at kafka\.sasl\.password: .*CLI_SPEC_UNSET is not set/,
    );
  });

  it('refuses an invalid setting with the rule the apps apply (SASL plain without TLS)', () => {
    const plain = file(
      'plain.yaml',
      'kafka: { brokers: [a:9092], sasl: { mechanism: plain, username: u, password: p } }\n',
    );
    refused({ config: plain }, '--config', plain, /at kafka\.sasl\.mechanism: plain sends the password/);
  });

  it('refuses a bad --brokers list as a usage error naming the flag', () => {
    assert.throws(() => cliConnections({ brokers: 'nope' }, 'x'), /--brokers expects host:port/);
  });

  it('refuses --config and --kafka-config together, on the command line and in code', async () => {
    const both = { config: file('a.yaml', SECURED), kafkaConfig: file('b.yaml', SECURED) };
    assert.throws(() => cliConnections(both, 'x'), /--config and --kafka-config/);
    const command = connectionOptions(new Command('probe'), { kafka: true, registry: true })
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .action(() => undefined);
    await assert.rejects(
      command.parseAsync(['--config', both.config, '--kafka-config', both.kafkaConfig], { from: 'user' }),
      /--config <app\.yaml>' cannot be used with option '--kafka-config/,
    );
  });
});
