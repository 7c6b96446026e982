// `--config <app.yaml>` and `--kafka-config <file>` on the commands that talk to Kafka and the
// registry: through an app's configuration to the real broker and registry (`${ENV}` resolved,
// `--brokers` over the file), and every malformed input refused in one line naming the file and the
// key, exit 2, no stack trace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import {
  deleteTopicsIfPresent,
  jsonOutput,
  runSluice,
  stackAddresses,
  uniqueName,
} from '@sluice/test-support';

const { kafkaBrokers, registryUrl } = stackAddresses();
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-connection-files-'));

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** The run failed as a usage error: exit 2, one line on stderr naming `parts`, no stack trace. */
function assertRefused(run: ReturnType<typeof runSluice>, ...parts: readonly (string | RegExp)[]): void {
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.ok(lines.length <= 2, run.stderr); // commander adds "(run with --help for usage)"
  for (const part of parts)
    if (typeof part === 'string') assert.ok(run.stderr.includes(part), `${part} not in: ${run.stderr}`);
    else assert.match(run.stderr, part);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.equal(run.stdout, '');
}

describe('sluice --config / --kafka-config', () => {
  const topic = uniqueName('cli-connection-files');
  const group = uniqueName('cli-connection-files-group');
  let admin: Admin;
  let appFile: string;
  let kafkaFile: string;
  const env = { CLI_IT_BROKERS: kafkaBrokers.join(','), CLI_IT_REGISTRY: registryUrl };

  before(async () => {
    admin = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: kafkaBrokers, logLevel: 'nothing' }),
    ).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    // A sink-http app's configuration, its brokers and registry from the environment as deployed.
    appFile = file('sink-http.yaml', [
      'group: cli-connection-files',
      `topics: [${topic}]`,
      'kafka:',
      '  brokers: ${CLI_IT_BROKERS}',
      '  connectionTimeoutMs: 5000',
      'registry:',
      '  url: ${CLI_IT_REGISTRY}',
      'destinations:',
      '  - { name: hook, url: "http://127.0.0.1:1/x", method: POST, body: "{{ after }}" }',
    ]);
    kafkaFile = file('kafka.yaml', [
      'kafka:',
      '  brokers: ${CLI_IT_BROKERS}',
      'registry: { url: "${CLI_IT_REGISTRY}" }',
    ]);
  });

  after(async () => {
    await deleteTopicsIfPresent(admin, [topic, `${group}.dlq`]);
    await admin.disconnect();
  });

  it("topics describe --config app.yaml connects with the app's kafka section", () => {
    const described = jsonOutput<{ name: string; partitions: unknown[] }>(
      runSluice(['topics', 'describe', topic, '--config', appFile, '-o', 'json'], { env }),
    );
    assert.equal(described.name, topic);
    assert.equal(described.partitions.length, 2);
  });

  it('topics list --kafka-config kafka.yaml reads the topics of the given app', () => {
    const listed = jsonOutput<{ topics: Array<{ name: string; exists: boolean; partitions: number }> }>(
      runSluice(['topics', 'list', appFile, '--kafka-config', kafkaFile, '-o', 'json'], { env }),
    );
    const row = listed.topics.find((t) => t.name === topic);
    assert.deepEqual({ exists: row?.exists, partitions: row?.partitions }, { exists: true, partitions: 2 });
  });

  it("dlq list and replay --dry-run --config app.yaml reach the app's cluster", async () => {
    await admin.createTopics({ topics: [{ topic: `${group}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    const dlq = jsonOutput<{ topic: string; total: number }>(
      runSluice(['dlq', 'list', '-g', group, '--config', appFile, '-o', 'json'], { env }),
    );
    assert.deepEqual({ topic: dlq.topic, total: dlq.total }, { topic: `${group}.dlq`, total: 0 });
    const plan = jsonOutput<{ dryRun: boolean; topic: string; steps: { partition: number }[] }>(
      runSluice(
        [
          'replay',
          '--topic',
          topic,
          '--group',
          group,
          '--from-offset',
          '0',
          '--dry-run',
          '--config',
          appFile,
          '-o',
          'json',
        ],
        { env },
      ),
    );
    assert.equal(plan.dryRun, true);
    assert.deepEqual(
      plan.steps.map((s) => s.partition),
      [0, 1],
    );
  });

  it('schemas check --config app.yaml checks against the registry the app uses', () => {
    const run = runSluice(['schemas', 'check', '--config', appFile, '-o', 'json'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { problems: string[] }).problems, []);
  });

  it("--brokers overrides the file's brokers; without it an unreachable file broker is named", () => {
    const elsewhere = file('elsewhere.yaml', ['kafka: { brokers: [127.0.0.1:1], connectionTimeoutMs: 500 }']);
    const failed = runSluice(['topics', 'describe', topic, '--kafka-config', elsewhere]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /^sluice: cannot reach Kafka at 127\.0\.0\.1:1/);
    const overridden = runSluice([
      'topics',
      'describe',
      topic,
      '--kafka-config',
      elsewhere,
      '--brokers',
      kafkaBrokers.join(','),
      '-o',
      'json',
    ]);
    assert.equal(jsonOutput<{ name: string }>(overridden).name, topic);
  });

  it('a missing file is refused naming it', () => {
    const missing = join(dir, 'no-such.yaml');
    assertRefused(
      runSluice(['topics', 'describe', topic, '--config', missing]),
      `--config ${missing}`,
      'ENOENT',
    );
    assertRefused(
      runSluice(['dlq', 'list', '-g', 'g', '--kafka-config', missing]),
      `--kafka-config ${missing}`,
    );
  });

  it('invalid YAML is refused naming the file, line and column', () => {
    const bad = file('bad.yaml', ['kafka:', '  brokers: [127.0.0.1:9092', '  tls: {']);
    assertRefused(
      runSluice(['replay', '--topic', topic, '--group', 'g', '--from-offset', '0', '--kafka-config', bad]),
      `--kafka-config ${bad}`,
      /YAML syntax error at line \d+, column \d+/,
    );
  });

  it('an unknown key is refused naming the file and the key', () => {
    const inner = file('inner.yaml', ['kafka:', '  brokers: [127.0.0.1:9092]', '  sasl_mechanism: plain']);
    assertRefused(
      runSluice(['topics', 'describe', topic, '--kafka-config', inner]),
      `--kafka-config ${inner}`,
      'at kafka',
      'sasl_mechanism',
    );
    const typo = file('typo.yaml', ['group: g', `topics: [${topic}]`, 'kafak: { brokers: [127.0.0.1:1] }']);
    assertRefused(runSluice(['topics', 'describe', topic, '--config', typo]), `--config ${typo}`, 'at kafak');
    const registry = file('registry.yaml', [
      'kafka: { brokers: [127.0.0.1:9092] }',
      'registry: { uri: http://x }',
    ]);
    assertRefused(
      runSluice(['schemas', 'diff', '--kafka-config', registry]),
      `--kafka-config ${registry}`,
      'at registry',
      'uri',
    );
  });

  it('an unset ${ENV} secret is refused naming the variable and the key', () => {
    assertRefused(
      runSluice(['topics', 'describe', topic, '--config', appFile], { env: { CLI_IT_BROKERS: 'a:1' } }),
      `--config ${appFile}`,
      'at registry.url',
      'CLI_IT_REGISTRY is not set',
    );
    assertRefused(
      runSluice(['topics', 'describe', topic, '--config', appFile], { env: { ...env, CLI_IT_BROKERS: ' ' } }),
      `--config ${appFile}`,
      'at kafka.brokers: expected at least one broker',
    );
    const unset = file('unset.yaml', [
      'kafka:',
      '  brokers: [127.0.0.1:9092]',
      '  sasl: { mechanism: scram-sha-512, username: u, password: "${CLI_IT_NOT_SET}" }',
    ]);
    assertRefused(
      runSluice(['dlq', 'list', '-g', 'g', '--kafka-config', unset]),
      'at kafka.sasl.password',
      'CLI_IT_NOT_SET is not set',
    );
  });

  it('--config and --kafka-config together are refused', () => {
    assertRefused(
      runSluice(['topics', 'describe', topic, '--config', appFile, '--kafka-config', kafkaFile]),
      /--config <app\.yaml>' cannot be used with option '--kafka-config/,
    );
  });

  it('schemas register without a named registry is refused', () => {
    assertRefused(
      runSluice(['schemas', 'register', '--kafka-config', file('k.yaml', ['kafka: { brokers: [a:1] }'])]),
      'name the schema registry',
    );
  });
});
