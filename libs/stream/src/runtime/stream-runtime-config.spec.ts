import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { parseStreamRuntimeConfig } from './stream-runtime-config';

describe('stream runtime configuration', () => {
  it('fills every default', () => {
    const c = parseStreamRuntimeConfig({ group: 'transformer', topics: ['shop.public.orders'] });
    assert.equal(c.delivery, 'exactly-once');
    assert.equal(c.fromBeginning, true);
    assert.deepEqual(c.concurrency, { partitions: 4, keysPerPartition: 1, maxBufferedPerPartition: 256 });
    assert.equal(c.failure.onKeyFailure, 'park');
    assert.equal(c.failure.retry.maxAttempts, 5);
    assert.equal(c.output.maxBatchRecords, 1000);
    assert.equal(c.shutdownTimeoutMs, 10_000);
    assert.equal(c.revokeTimeoutMs, 5_000);
    assert.equal(c.fetchMaxWaitMs, 500);
    assert.equal(c.commitIntervalMs, 0);
  });

  it('names the path of each problem', () => {
    assert.throws(
      () =>
        parseStreamRuntimeConfig(
          {
            group: 'g',
            topics: [],
            concurrency: { keysPerPartition: 0 },
            failure: { onKeyFailure: 'drop' },
            fetchMaxWaitMs: 0,
            commitIntervalMs: -5,
          },
          'pipeline.yaml',
        ),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.path, 'topics');
        assert.match(error.message, /^pipeline\.yaml: at topics: expected at least one topic/);
        assert.match(error.message, /at concurrency\.keysPerPartition: /);
        assert.match(error.message, /at failure\.onKeyFailure: /);
        assert.match(error.message, /at fetchMaxWaitMs: /);
        assert.match(error.message, /at commitIntervalMs: /);
        return true;
      },
    );
  });

  it('refuses settings that contradict each other, naming the field', () => {
    assert.throws(
      () =>
        parseStreamRuntimeConfig({
          group: 'g',
          topics: ['t'],
          concurrency: { keysPerPartition: 8, maxBufferedPerPartition: 4 },
        }),
      (e: unknown) => e instanceof ConfigError && e.path === 'concurrency.maxBufferedPerPartition',
    );
    assert.throws(
      () => parseStreamRuntimeConfig({ group: 'g', topics: ['t'], revokeTimeoutMs: 40_000 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'revokeTimeoutMs',
    );
    assert.throws(
      () => parseStreamRuntimeConfig({ group: 'g', topics: ['t'], retries: 3 }),
      (e: unknown) => e instanceof ConfigError && /retries/.test(e.message),
    );
  });
});
