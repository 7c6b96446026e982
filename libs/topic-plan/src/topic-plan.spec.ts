import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sluice/errors';
import { declarePipelineTopics, parsePipelineConfig } from '@sluice/pipeline';
import { declareConfigFileTopics } from './config-documents';
import { declareSourceTopics, type SourceTopicSettings } from '@sluice/postgres-cdc';
import { TopicPlan } from '@sluice/connect';

const plan = () => new TopicPlan({ partitions: 3, replicationFactor: 1 });
const source = (over: Partial<SourceTopicSettings> = {}): SourceTopicSettings => ({
  topicPrefix: 'app',
  tables: { include: ['public.orders'], exclude: [] },
  topics: { partitions: 6, replicationFactor: 3 },
  events: { tombstonesOnDelete: true, unavailableValuePlaceholder: 'x', transactionMetadata: false },
  delivery: { guarantee: 'at-least-once', commitIntervalMs: 100, transactionTimeoutMs: 60_000 },
  ...over,
});
const pipeline = (doc: Record<string, unknown>) =>
  parsePipelineConfig({ name: 'p', from: { topics: ['app.public.orders'] }, to: 'out.default', ...doc });
const byName = (p: TopicPlan) => new Map(p.topics().map((t) => [t.name, t]));

describe('TopicPlan', () => {
  it('declares, exactly once, the source offsets topic: compacted, one partition, <topicPrefix>.offsets or as named', () => {
    const p = plan();
    declareSourceTopics(
      p,
      source({
        delivery: { guarantee: 'exactly-once', commitIntervalMs: 100, transactionTimeoutMs: 60_000 },
      }),
      {
        name: 'src',
      },
    );
    const offsets = byName(p).get('app.offsets')!;
    assert.deepEqual(
      [offsets.partitions, offsets.replicationFactor, offsets.configs],
      [1, 3, { 'cleanup.policy': 'compact' }],
    );
    const named = plan();
    declareSourceTopics(
      named,
      source({
        delivery: {
          guarantee: 'exactly-once',
          offsetsTopic: 'ops.offsets',
          commitIntervalMs: 100,
          transactionTimeoutMs: 60_000,
        },
      }),
      { name: 'src' },
    );
    assert.ok(byName(named).has('ops.offsets'));
  });

  it('declares a table topic per captured table and the transaction topic, with the source partitions', () => {
    const p = plan();
    declareSourceTopics(
      p,
      source({
        tables: { include: ['public.orders', 'sales.*'], exclude: ['sales.tmp_*'] },
        events: { tombstonesOnDelete: true, unavailableValuePlaceholder: 'x', transactionMetadata: true },
      }),
      { name: 'src', knownTables: ['sales.items', 'sales.tmp_x', 'other.t'] },
    );
    assert.deepEqual(
      p.topics().map((t) => [t.name, t.partitions, t.replicationFactor]),
      [
        ['app.public.orders', 6, 3],
        ['app.sales.items', 6, 3],
        ['app.transaction', 6, 3],
      ],
    );
    assert.deepEqual(p.notes(), []);
  });

  it('notes a table pattern nothing resolves instead of guessing its topics', () => {
    const p = plan();
    declareSourceTopics(p, source({ tables: { include: ['public.*'], exclude: [] } }), { name: 'src' });
    assert.deepEqual(p.topics(), []);
    assert.match(p.notes()[0]!, /src: tables.include 'public\.\*' is a pattern/);
  });

  it("gives a pipeline's outputs and DLQs its input's partitions, also when the source is declared later", () => {
    const p = plan();
    declarePipelineTopics(
      p,
      pipeline({
        onKeyFailure: 'park',
        steps: [{ route: { cases: [{ when: "region == 'eu'", topic: 'out.eu' }], default: 'out.other' } }],
      }),
    );
    declareSourceTopics(p, source(), { name: 'src' });
    const topics = byName(p);
    for (const name of [
      'out.default',
      'out.eu',
      'out.other',
      'sluice-pipeline-p.dlq',
      'sluice-pipeline-p.dlq.parked',
    ])
      assert.equal(topics.get(name)?.partitions, 6, name);
    assert.deepEqual(topics.get('sluice-pipeline-p.dlq.parked')?.configs, { 'cleanup.policy': 'compact' });
    assert.deepEqual(topics.get('app.public.orders')?.origins, [
      'transformer p: input',
      'src: table public.orders',
    ]);
  });

  it('declares no parked-key topic when keys are skipped, and routes by field map and by input-topic rewrite', () => {
    const p = plan();
    declarePipelineTopics(
      p,
      pipeline({ groupId: 'g', steps: [{ route: { field: 'r', topics: { a: 'out.a' } } }] }),
    );
    declarePipelineTopics(
      p,
      pipeline({
        name: 'q',
        steps: [{ route: { topicPattern: 'app\\.public\\.(.*)', replacement: 'clean.$1' } }],
      }),
    );
    const names = [...byName(p).keys()];
    assert.ok(names.includes('g.dlq') && !names.includes('g.dlq.parked'));
    assert.ok(names.includes('out.a') && names.includes('clean.orders'));
  });

  it('notes what depends on the data: an input pattern, a computed output, outbox topics', () => {
    const p = plan();
    declarePipelineTopics(
      p,
      parsePipelineConfig({
        name: 'x',
        from: { pattern: 'app\\..*' },
        to: { expression: "'t.' + region" },
        steps: [{ outbox: { topic: 'events.{aggregateType}' } }],
      }),
    );
    assert.equal(p.notes().length, 3);
    assert.deepEqual([...byName(p).keys()], ['sluice-pipeline-x.dlq']);
  });
});

describe('declareConfigFileTopics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topic-plan-'));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it("reads a transformer configuration's pipeline file relative to it, without its secrets set", () => {
    write(
      'pipe.yaml',
      'name: demo\nfrom: { topics: [in.a] }\nto: out.a\nsteps:\n  - mask: { fields: [e], with: hash, key: "${NO_SUCH_SECRET_VAR}" }\n',
    );
    const file = write(
      'transformer.yaml',
      'pipeline: pipe.yaml\nkafka: { brokers: ["${NO_SUCH_BROKERS_VAR}"] }\n',
    );
    const p = plan();
    assert.equal(declareConfigFileTopics(p, file), 'transformer');
    assert.deepEqual([...byName(p).keys()], ['in.a', 'out.a', 'sluice-pipeline-demo.dlq']);
  });

  it("takes the console's configuration (it reads the apps' topics) and declares no topic of it", () => {
    const p = plan();
    const file = write('console.yaml', 'apps: [{ url: http://127.0.0.1:8102 }]\nrefreshMs: 2000\n');
    assert.equal(declareConfigFileTopics(p, file), 'console');
    assert.deepEqual(p.topics(), []);
  });

  it('refuses a file of no known app, and a wrong setting, naming the file and the YAML path', () => {
    assert.throws(
      () => declareConfigFileTopics(plan(), write('other.yaml', 'hello: 1\n')),
      (e: unknown) => {
        return (
          e instanceof ConfigError &&
          /other\.yaml: not the configuration of a connector \(source-postgres, source-webhook, source-http-poll, transformer, sink-postgres, sink-http\)/.test(
            e.message,
          )
        );
      },
    );
    const bad = write('src.yaml', 'topicPrefix: app\ntopics: { partitions: 0 }\n');
    assert.throws(
      () => declareConfigFileTopics(plan(), bad),
      (e: unknown) => {
        return (
          e instanceof ConfigError &&
          e.message.includes('src.yaml') &&
          e.message.includes('topics.partitions')
        );
      },
    );
  });
});

describe('declareConfigFileTopics: sinks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topic-plan-sinks-'));
  it("declares a sink's inputs and DLQs, parking by default, skip when configured", () => {
    writeFileSync(join(dir, 'pg.yaml'), 'topics: [a.b]\ntarget: { host: db }\n');
    writeFileSync(
      join(dir, 'http.yaml'),
      'group: hooks\ntopics: [a.b]\ndestinations: []\nruntime: { failure: { onKeyFailure: skip } }\n',
    );
    const p = plan();
    assert.equal(declareConfigFileTopics(p, join(dir, 'pg.yaml')), 'sink-postgres');
    assert.equal(declareConfigFileTopics(p, join(dir, 'http.yaml')), 'sink-http');
    assert.deepEqual(
      [...byName(p).keys()],
      ['a.b', 'hooks.dlq', 'sluice-sink-postgres.dlq', 'sluice-sink-postgres.dlq.parked'],
    );
  });
});
