// `sluice topics render`: the chart's `topics:` value from the apps' configurations, with what it
// cannot know said rather than guessed, and bad input refused naming the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT, run } from './deploy-toolchain';

const sluice = (...args: string[]) =>
  run(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), 'topics', 'render', ...args], {
    cwd: PROJECT_ROOT,
  });

interface Rendered {
  topics: Array<{ name: string; partitions: number; replicas: number; config: Record<string, string> }>;
  notes?: string[];
}

describe('sluice topics render', () => {
  it("prints the chart's topics: value and says which table pattern it could not resolve", async () => {
    const result = await sluice('examples/source-postgres.yaml', 'examples/transformer.yaml');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^# NOT DECLARED: source-postgres \(examples\/source-postgres\.yaml\): tables\.include 'public\.\*' is a pattern/m,
    );
    const { topics } = parse(result.stdout) as Rendered;
    const names = topics.map((t) => t.name);
    for (const name of ['sluice.public.orders', 'orders.clean.eu', 'orders.clean.na', 'orders.clean.other'])
      assert.ok(names.includes(name), name);
    const parked = topics.find((t) => t.name === 'sluice-pipeline-orders-clean.dlq.parked');
    assert.deepEqual(parked?.config, { 'cleanup.policy': 'compact' });
    // The DLQ takes an input record at Kafka's default limit with its error headers, as the runtime makes it.
    const dlq = topics.find((t) => t.name === 'sluice-pipeline-orders-clean.dlq');
    assert.deepEqual(dlq?.config, { 'max.message.bytes': String(1_048_588 + 64 * 1024) });
  });

  it('declares the tables named with --table, with the source partitions, and the offsets topic, as JSON', async () => {
    const result = await sluice('examples/source-postgres.yaml', '--table', 'public.customers', '-o', 'json');
    assert.equal(result.code, 0, result.stderr);
    const rendered = JSON.parse(result.stdout) as Rendered;
    assert.deepEqual(rendered.notes, []);
    assert.deepEqual(
      rendered.topics.map((t) => [t.name, t.partitions, t.replicas]),
      [
        ['sluice.offsets', 1, 1],
        ['sluice.public.customers', 3, 1],
      ],
    );
  });

  it('refuses a file of no known app (exit 1) and a malformed --table (exit 2)', async () => {
    const bad = await sluice('package.json');
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /package\.json: not the configuration of a connector \(source-postgres, source-webhook, source-http-poll, transformer, sink-postgres, sink-http\)/,
    );
    const usage = await sluice('--table', 'orders');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--table expects schema\.table, got 'orders'/);
  });
});
