import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@sluice/config';
import { type RunningConnector, TopicPlan } from '@sluice/connect';
import { ConfigError } from '@sluice/errors';
import { createLogger, secretsOf } from '@sluice/observability';
import { type SchemaRegistryClient } from '@sluice/schema';
import { type Transformer } from './transformer';
import { transformerConnector } from './transformer-connector';

const parse = (raw: unknown) =>
  parseConfig(transformerConnector.configSchema, raw, { source: 'transformer.yaml', env: {} });
const inline = { name: 'clean', from: { topics: ['in.a'] }, to: 'out.a', steps: [{ unwrap: {} }] };

describe('transformerConnector settings', () => {
  it("a minimal configuration gets the documented defaults (the runtime's own)", () => {
    const c = parse({ pipeline: 'pipeline.yaml' });
    assert.equal(c.keyFormat, 'avro');
    assert.deepEqual(c.outputTopics, {});
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 8102 });
    assert.equal(c.kafka.clientId, 'sluice-transformer');
    assert.deepEqual(c.runtime, {
      fromBeginning: true,
      concurrency: { partitions: 4, keysPerPartition: 1, maxBufferedPerPartition: 256 },
      output: { maxBatchRecords: 1000 },
      transactionTimeoutMs: 60_000,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      fetchMaxWaitMs: 500,
      commitIntervalMs: 0,
      revokeTimeoutMs: 5_000,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('refuses what cannot work, naming the path; failure settings belong to the pipeline file', () => {
    const refused = (raw: unknown, path: RegExp) =>
      assert.throws(
        () => parse(raw),
        (e: unknown) => e instanceof ConfigError && path.test(e.message),
      );
    refused({}, /at pipeline/);
    refused({ pipeline: 'p.yaml', keyFormat: 'json' }, /at keyFormat/);
    refused(
      { pipeline: 'p.yaml', outputTopics: { replicationFactor: 0 } },
      /at outputTopics\.replicationFactor/,
    );
    refused(
      { pipeline: 'p.yaml', runtime: { concurrency: { partitions: 0 } } },
      /at runtime\.concurrency\.partitions/,
    );
    refused({ pipeline: 'p.yaml', runtime: { onKeyFailure: 'skip' } }, /Unrecognized key/);
    refused({ pipeline: 'p.yaml', surprise: true }, /Unrecognized key/);
  });
});

describe('transformerConnector.declareTopics', () => {
  const declared = (settings: unknown, file: string) => {
    const plan = new TopicPlan({ partitions: 3, replicationFactor: 1 });
    const parsed = parseConfig(transformerConnector.topicSettings, settings, { source: file, env: {} });
    transformerConnector.declareTopics(plan, parsed, { file, env: {} });
    return plan.topics().map((t) => [t.name, t.replicationFactor]);
  };

  it('reads a pipeline file relative to the configuration file, without its secrets set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'transformer-topics-'));
    writeFileSync(
      join(dir, 'pipe.yaml'),
      'name: demo\nfrom: { topics: [in.a] }\nto: out.a\nsteps:\n  - mask: { fields: [e], with: hash, key: "${NO_SUCH_SECRET_VAR}" }\n',
    );
    assert.deepEqual(declared({ pipeline: 'pipe.yaml' }, join(dir, 'transformer.yaml')), [
      ['in.a', 1],
      ['out.a', 1],
      ['sluice-pipeline-demo.dlq', 1],
    ]);
  });

  it('reads an inline pipeline (keys parked: the parked-key topic), with the output replication set', () => {
    assert.deepEqual(
      declared(
        { pipeline: { ...inline, onKeyFailure: 'park' }, outputTopics: { replicationFactor: 3 } },
        '/nowhere/transformer.yaml',
      ),
      [
        ['in.a', 1],
        ['out.a', 3],
        ['sluice-pipeline-clean.dlq', 3],
        ['sluice-pipeline-clean.dlq.parked', 3],
      ],
    );
  });
});

describe('transformerConnector.secrets', () => {
  it("gives a pipeline file's secrets to the logger: enrich URL password, mask key, auth value", () => {
    const dir = mkdtempSync(join(tmpdir(), 'transformer-secrets-'));
    writeFileSync(
      join(dir, 'pipe.yaml'),
      [
        'name: demo',
        'from: { topics: [in.a] }',
        'to: out.a',
        'steps:',
        '  - enrich:',
        '      connection: postgres://lookup:enrich-url-password@db:5432/ref',
        '      query: SELECT name FROM customers WHERE id = $1',
        '      params: [customer_id]',
        '      fields: [{ column: name }]',
        '  - mask: { fields: [email], with: hash, key: mask-hmac-key-0123456789 }',
        '  - custom: { module: ./none.js, config: { auth: { type: api-key, value: custom-api-key-value } } }',
        '',
      ].join('\n'),
    );
    const config = parse({ pipeline: 'pipe.yaml' });
    const secrets = secretsOf(config, transformerConnector.secrets!(config, { baseDir: dir }));
    for (const s of ['enrich-url-password', 'mask-hmac-key-0123456789', 'custom-api-key-value'])
      assert.ok(secrets.includes(s), `missing ${s}: ${secrets.join(', ')}`);
    assert.ok(!secrets.includes('demo') && !secrets.includes('email'));
  });

  it('adds nothing for an inline pipeline (searched with the configuration) or an unreadable file', () => {
    const inlined = parse({
      pipeline: {
        ...inline,
        steps: [{ mask: { fields: ['e'], with: 'hash', key: 'inline-mask-key-0123' } }],
      },
    });
    assert.deepEqual(transformerConnector.secrets!(inlined, { baseDir: '/nowhere' }), []);
    assert.ok(secretsOf(inlined).includes('inline-mask-key-0123'));
    const missing = parse({ pipeline: 'missing.yaml' });
    assert.deepEqual(transformerConnector.secrets!(missing, { baseDir: '/nowhere' }), []);
  });
});

describe('Transformer', () => {
  it("keeps the transformer's status fields; its management entry is named after the pipeline", async () => {
    const config = parse({ pipeline: inline, logging: { level: 'silent' } });
    const up = { name: 'up', check: () => ({ up: true }) };
    const transformer = (await transformerConnector.create(config, {
      logger: createLogger('transformer', config.logging),
      registry: {} as SchemaRegistryClient,
      baseDir: process.cwd(),
      version: 'test',
      dependencies: { kafka: up, registry: up },
    })) as Transformer & RunningConnector;
    const status = transformer.status();
    assert.deepEqual(Object.keys(status), [
      'pipeline',
      'group',
      'delivery',
      'phase',
      'paused',
      'topics',
      'assignedPartitions',
      'membership',
      'recordsProcessed',
      'recordsDeadLettered',
      'recordsParked',
      'schemaRegistrations',
      'memory',
      ...Object.keys(status).slice(13),
    ]);
    assert.deepEqual(
      { ...status, memory: undefined },
      {
        ...status,
        pipeline: 'clean',
        group: 'sluice-pipeline-clean',
        delivery: 'exactly-once',
        paused: false,
        topics: [],
        assignedPartitions: [],
        recordsProcessed: 0,
        recordsDeadLettered: 0,
        recordsParked: 0,
        schemaRegistrations: 0,
        memory: undefined,
      },
    );
    assert.deepEqual(
      transformer.management.map((c) => [c.name, c.type]),
      [['clean', 'transform']],
    );
    await transformer.stop();
  });
});
