import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { parseStreamRuntimeConfig } from '@sluice/stream';
import { consumerRuntimeSettings, parksKeys, streamRuntimeConfigOf } from './runtime-settings';

const RUNTIME = parseStreamRuntimeConfig({ group: 'g', topics: ['t'] });
const parse = (schema: ReturnType<typeof consumerRuntimeSettings>, raw: unknown) =>
  parseConfig(schema, raw, { source: 'app.yaml', env: {} });

describe('consumerRuntimeSettings', () => {
  it("takes the stream runtime's defaults unless the connector names its own", () => {
    const plain = parse(consumerRuntimeSettings({ failure: 'none', transactions: true }), {});
    assert.equal(plain.concurrency.partitions, RUNTIME.concurrency.partitions);
    assert.equal(plain.concurrency.keysPerPartition, RUNTIME.concurrency.keysPerPartition);
    assert.equal(plain.output?.maxBatchRecords, RUNTIME.output.maxBatchRecords);
    assert.equal(plain.transactionTimeoutMs, RUNTIME.transactionTimeoutMs);
    assert.equal(plain.shutdownTimeoutMs, RUNTIME.shutdownTimeoutMs);
    const own = parse(
      consumerRuntimeSettings({
        failure: 'nested',
        transactions: false,
        defaults: { keysPerPartition: 16, maxBatchRecords: 100 },
      }),
      {},
    );
    assert.equal(own.concurrency.keysPerPartition, 16);
    assert.equal(own.output?.maxBatchRecords, 100);
  });

  it('offers only the settings its connector uses: an unknown one is an error naming its path', () => {
    const sink = consumerRuntimeSettings({ failure: 'flat', transactions: false, batchesOutputs: false });
    for (const [raw, path] of [
      [{ transactionTimeoutMs: 1000 }, 'transactionTimeoutMs'],
      [{ output: { maxBatchRecords: 5 } }, 'output'],
      [{ failure: { onKeyFailure: 'skip' } }, 'failure'],
      [{ concurrency: { partitions: 0 } }, 'concurrency.partitions'],
    ] as const)
      assert.throws(
        () => parse(sink, raw),
        (e: unknown) => e instanceof ConfigError && e.message.includes(path),
        JSON.stringify(raw),
      );
  });

  it('reads failure settings where the connector keeps them, and makes a valid runtime configuration', () => {
    const nested = parse(consumerRuntimeSettings({ failure: 'nested', transactions: false }), {
      failure: { onKeyFailure: 'skip' },
    });
    const flat = parse(consumerRuntimeSettings({ failure: 'flat', transactions: false }), {
      onKeyFailure: 'skip',
      concurrency: { partitions: '2' },
    });
    assert.equal(parksKeys(nested), false);
    assert.equal(parksKeys(flat), false);
    assert.equal(
      parksKeys(parse(consumerRuntimeSettings({ failure: 'none', transactions: false }), {})),
      true,
    );
    const config = streamRuntimeConfigOf(flat, { group: 'g', topics: ['a'], delivery: 'at-least-once' });
    assert.equal(config.failure.onKeyFailure, 'skip');
    assert.equal(config.concurrency.partitions, 2);
    assert.equal(config.delivery, 'at-least-once');
    // A pipeline's failure settings win over the runtime section's.
    const piped = streamRuntimeConfigOf(flat, {
      group: 'g',
      topics: ['a'],
      delivery: 'exactly-once',
      failure: { onKeyFailure: 'park' },
    });
    assert.equal(piped.failure.onKeyFailure, 'park');
  });
});
