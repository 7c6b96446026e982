// `sluice pipeline test | record | docs` as a user runs them: the example pipeline's golden cases,
// a failing case's diff, bad flags and missing files, and recording real records from Kafka with
// their writer schemas from the registry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, createProducer, kafkaConfigSchema } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordEncoder } from '@sluice/schema';
import { PROJECT_ROOT, runSluice, stackAddresses, uniqueName } from '@sluice/test-support';

const projectRoot = PROJECT_ROOT;
const example = join(projectRoot, 'examples', 'pipelines');

const sluice = (args: string[], env: Record<string, string> = {}) => runSluice(args, { env });

describe('sluice pipeline test', () => {
  it('passes the example pipeline golden cases (exit 0)', () => {
    const run = sluice(['pipeline', 'test', join(example, 'orders.yaml')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS created-eu-order/);
    assert.match(run.stdout, /3 case\(s\): 3 passed, 0 failed/);
  });

  it('reports a failing case with a per-field diff and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-it-'));
    cpSync(example, dir, { recursive: true });
    const expectedFile = join(dir, 'orders.tests', 'created-eu-order', 'expected.yaml');
    writeFileSync(
      expectedFile,
      readFileSync(expectedFile, 'utf8')
        .replace('topic: orders.clean.eu', 'topic: orders.clean.na')
        .replace('total: 99.5', 'total: 100'),
    );
    const run = sluice(['pipeline', 'test', join(dir, 'orders.yaml')]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /FAIL created-eu-order/);
    assert.match(run.stdout, /records\[0\]\.topic: expected "orders\.clean\.na", got "orders\.clean\.eu"/);
    assert.match(run.stdout, /records\[0\]\.value\.total: expected 100, got 99\.5/);
    assert.match(run.stdout, /PASS deleted-order/);
    const json = sluice(['pipeline', 'test', join(dir, 'orders.yaml'), '-o', 'json']);
    assert.equal((JSON.parse(json.stdout) as { failed: number }).failed, 1);
  });

  it('an invalid pipeline fails with one line naming the YAML path (exit 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-it-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\nfrom: { topics: [a] }\nto: b\nsteps:\n  - mask: { fields: [email], with: hash }\n',
    );
    const run = sluice(['pipeline', 'test', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^sluice: .*bad\.yaml: at steps\[0\]\.mask\.key: required when with is hash\n$/);
  });

  it('usage errors exit 2: a missing file, a missing argument, bad flags', () => {
    const missing = sluice(['pipeline', 'test', '/nonexistent/p.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^sluice: pipeline: no such file \/nonexistent\/p\.yaml/);
    assert.equal(sluice(['pipeline', 'test']).code, 2);
    assert.equal(sluice(['pipeline', 'test', join(example, 'orders.yaml'), '-o', 'xml']).code, 2);
    const count = sluice(['pipeline', 'record', '--topic', 't', '--count', 'many']);
    assert.equal(count.code, 2);
    assert.match(count.stderr, /--count expects a whole number of at least 1/);
    assert.equal(sluice(['pipeline', 'record', '--count', '3']).code, 2);
    assert.equal(sluice(['pipeline', 'record', '--topic', 't', '--registry', 'ftp://x']).code, 2);
  });

  it('a pipeline without a tests folder fails naming it (exit 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pipeline-it-'));
    const file = join(dir, 'lonely.yaml');
    writeFileSync(file, 'name: lonely\nfrom: { topics: [a] }\nto: b\n');
    const run = sluice(['pipeline', 'test', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /lonely\.tests does not exist/);
  });

  it('docs prints the committed step reference', () => {
    const run = sluice(['pipeline', 'docs']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, readFileSync(join(projectRoot, 'docs', 'pipeline-steps.md'), 'utf8'));
  });
});

describe('sluice pipeline record (real Kafka and registry)', () => {
  const { kafkaBrokers, registryUrl } = stackAddresses();
  const topic = uniqueName('it.pipeline.record');
  let kafka: Kafka;
  let admin: Admin;
  const envelope = readFileSync(join(example, 'orders.tests', 'orders-value.v1.avsc'), 'utf8');
  const key = readFileSync(join(example, 'orders.tests', 'orders-key.v1.avsc'), 'utf8');
  const input = parse(
    readFileSync(join(example, 'orders.tests', 'created-eu-order', 'input.yaml'), 'utf8'),
  ) as {
    records: Array<{ value: { after: Record<string, unknown> } }>;
  };

  before(async () => {
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: kafkaBrokers, clientId: 'sluice-it-record', logLevel: 'nothing' }),
    );
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const encoder = new RecordEncoder(new ConfluentSchemaRegistryClient({ url: registryUrl }));
    const producer = createProducer(kafka);
    await producer.connect();
    const event = input.records[0]!.value;
    const messages = [];
    for (const id of [1, 2, 3]) {
      messages.push({
        key: await encoder.encode(`${topic}-key`, key, { id }),
        value: await encoder.encode(`${topic}-value`, envelope, { ...event, after: { ...event.after, id } }),
        headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
    }
    messages.push({ key: await encoder.encode(`${topic}-key`, key, { id: 3 }), value: null, headers: {} });
    await producer.send({ topic, messages });
    await producer.disconnect();
  });

  after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('captures decoded records with schema ids, versions and writer schemas, and expected output with --pipeline', () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-record-it-'));
    const pipelineDir = mkdtempSync(join(tmpdir(), 'sluice-record-pipeline-'));
    const pipelineFile = join(pipelineDir, 'p.yaml');
    writeFileSync(pipelineFile, readFileSync(join(example, 'orders.yaml'), 'utf8'));
    const run = sluice([
      'pipeline',
      'record',
      '--topic',
      topic,
      '--count',
      '4',
      '--out',
      out,
      '--pipeline',
      pipelineFile,
      '--brokers',
      kafkaBrokers.join(','),
      '--registry',
      registryUrl,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /4 record\(s\) from/);
    const first = parse(readFileSync(join(out, `${topic}-p0-o0`, 'input.yaml'), 'utf8')) as {
      keySchema: { id: number; subject: string; version: number; schema: { name: string } };
      valueSchema: { id: number; subject: string; version: number; schema: { name: string } };
      records: Array<{
        offset: string;
        key: unknown;
        headers: Record<string, string>;
        value: { after: { id: number } };
      }>;
    };
    assert.equal(first.valueSchema.subject, `${topic}-value`);
    assert.equal(first.valueSchema.version, 1);
    assert.equal(first.valueSchema.schema.name, 'Envelope');
    assert.equal(first.keySchema.version, 1);
    assert.deepEqual(first.records[0]!.key, { id: 1 });
    assert.equal(first.records[0]!.value.after.id, 1);
    assert.equal(
      first.records[0]!.headers.traceparent,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    const tombstone = parse(readFileSync(join(out, `${topic}-p0-o3`, 'input.yaml'), 'utf8')) as {
      records: Array<{ value: unknown }>;
      valueSchema?: unknown;
    };
    assert.equal(tombstone.records[0]!.value, null);
    assert.equal(tombstone.valueSchema, undefined);
    const expected = parse(readFileSync(join(out, `${topic}-p0-o0`, 'expected.yaml'), 'utf8')) as {
      records: Array<{ topic: string }>;
    };
    assert.equal(expected.records[0]!.topic, 'orders.clean.eu');
    // The recorded fixtures are golden tests as they stand.
    cpSync(out, join(pipelineDir, 'p.tests'), { recursive: true });
    const test = sluice(['pipeline', 'test', pipelineFile]);
    assert.equal(test.code, 0, test.stdout);
    assert.match(test.stdout, /4 case\(s\): 4 passed/);
  });

  it('an unknown topic records nothing and fails with one line (exit 1)', () => {
    const run = sluice([
      'pipeline',
      'record',
      '--topic',
      uniqueName('it.pipeline.none'),
      '--count',
      '1',
      '--timeout',
      '3000',
      '--out',
      mkdtempSync(join(tmpdir(), 'sluice-record-none-')),
    ]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^sluice: /);
  });
});
