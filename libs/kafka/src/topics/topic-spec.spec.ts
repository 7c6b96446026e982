import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { topicSpecsSchema } from './topic-spec';

const schema = z.object({ topics: topicSpecsSchema });
const parse = (topics: unknown, env: Record<string, string> = {}) =>
  parseConfig(schema, { topics }, { source: 'topics.yaml', env }).topics;

function assertConfigError(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof ConfigError && err.path === path && pattern.test(err.message),
  );
}

describe('topicSpecsSchema', () => {
  it('turns YAML numbers and environment strings into what Kafka expects', () => {
    const [spec] = parse(
      [
        {
          name: 'orders',
          partitions: '${PARTITIONS}',
          replicationFactor: 1,
          configs: { 'retention.ms': 86400000, 'cleanup.policy': 'compact' },
        },
      ],
      { PARTITIONS: '12' },
    );
    assert.deepEqual(spec, {
      name: 'orders',
      partitions: 12,
      replicationFactor: 1,
      configs: { 'retention.ms': '86400000', 'cleanup.policy': 'compact' },
    });
  });

  it('defaults configs to none', () => {
    assert.deepEqual(parse([{ name: 'a', partitions: 1, replicationFactor: 1 }])[0].configs, {});
  });

  it('refuses names Kafka refuses', () => {
    assertConfigError(
      () => parse([{ name: 'orders/eu', partitions: 1, replicationFactor: 1 }]),
      'topics[0].name',
      /a-z A-Z 0-9/,
    );
    assertConfigError(
      () => parse([{ name: '..', partitions: 1, replicationFactor: 1 }]),
      'topics[0].name',
      /"\."/,
    );
    assertConfigError(
      () => parse([{ name: 'x'.repeat(250), partitions: 1, replicationFactor: 1 }]),
      'topics[0].name',
      /1-249/,
    );
  });

  it('refuses zero partitions, a missing replication factor and a malformed config name', () => {
    assertConfigError(
      () => parse([{ name: 'a', partitions: 0, replicationFactor: 1 }]),
      'topics[0].partitions',
      />=1/,
    );
    assertConfigError(() => parse([{ name: 'a', partitions: 1 }]), 'topics[0].replicationFactor', /number/);
    assertConfigError(
      () => parse([{ name: 'a', partitions: 1, replicationFactor: 1, configs: { 'Retention MS': '1' } }]),
      'topics[0].configs.Retention MS',
      /config name/,
    );
  });

  it('refuses a topic declared twice', () => {
    const twice = [
      { name: 'a', partitions: 1, replicationFactor: 1 },
      { name: 'a', partitions: 2, replicationFactor: 1 },
    ];
    assertConfigError(() => parse(twice), 'topics[1].name', /declared twice/);
  });
});
