// A changelog record a state store could not have written (someone else's) fails the restore for
// good, naming the changelog, partition, offset and store: before, an empty key stopped the restore
// of an on-disk store for good without a word (the error went into kafkajs, which fetched again),
// and a key that is not UTF-8 was restored as another key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, TopicProvisioner } from '@sluice/kafka';
import { parseStreamRuntimeConfig, type RecordProcessor, StreamRuntime } from '@sluice/stream';
import { uniqueName } from '@sluice/test-support';
import { kafkaConfig, StreamHarness } from './stream-harness';

describe('stream runtime: a foreign record in a state changelog', () => {
  const h = new StreamHarness();
  const stateDir = mkdtempSync(join(tmpdir(), 'sluice-state-'));
  before(() => h.connect());
  after(async () => {
    await h.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const cases = [
    { what: 'an empty key (an on-disk store holds none)', key: Buffer.alloc(0), storage: 'disk' as const },
    { what: 'a key that is not UTF-8', key: Buffer.from([0xff, 0xfe, 0x41]), storage: 'memory' as const },
  ];
  for (const { what, key, storage } of cases)
    it(`${what}: the restore fails naming it, once`, { timeout: 90_000 }, async () => {
      const input = await h.topic('it.stream.changelog.in', 1);
      const group = uniqueName('it.stream.changelog.group');
      const changelog = `${group}-counts-changelog`;
      h.track(`${group}.dlq`);
      h.track(changelog);
      // The runtime creates its changelog when missing; this one is there first, with a foreign record at offset 1.
      const admin = h.kafka.admin();
      await admin.connect();
      try {
        await new TopicProvisioner(admin).provision([
          { name: changelog, partitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
        ]);
      } finally {
        await admin.disconnect();
      }
      const producer = createProducer(h.kafka);
      await producer.connect();
      try {
        await producer.send({
          topic: changelog,
          messages: [
            { key: 'good', value: '1' },
            { key, value: '2' },
          ],
        });
      } finally {
        await producer.disconnect();
      }
      await h.produce(input, [{ key: 'a', value: 'x' }]);
      const processor: RecordProcessor = {
        name: 'Count',
        stateStores: [{ name: 'counts', storage }],
        process: () => [],
      };
      const runtime = new StreamRuntime({
        kafka: kafkaConfig,
        config: parseStreamRuntimeConfig({ group, topics: [input], delivery: 'exactly-once', stateDir }),
        processor,
      });
      await runtime.start();
      try {
        const outcome = await Promise.race([
          runtime.done.then(
            () => 'stopped without an error',
            (error: unknown) => error,
          ),
          new Promise((resolve) => setTimeout(() => resolve('still restoring after 45 s'), 45_000)),
        ]);
        assert.ok(outcome instanceof Error, String(outcome));
        assert.equal((outcome as { code?: string }).code, 'STATE_CHANGELOG_INVALID');
        assert.equal((outcome as { retriable?: boolean }).retriable, false, 'a restart would meet it again');
        assert.match(
          outcome.message,
          new RegExp(`changelog ${changelog}\\[0\\] offset 1 .*state store "counts"`),
        );
      } finally {
        await runtime.stop();
      }
    });
});
