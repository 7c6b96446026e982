import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeDrift, diffTopic, type ObservedTopic } from './topic-drift';
import { topicSpecSchema } from './topic-spec';

const spec = topicSpecSchema.parse({
  name: 'sluice.public.orders',
  partitions: 6,
  replicationFactor: 3,
  configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': 604800000 },
});

function observed(overrides: Partial<ObservedTopic> = {}): ObservedTopic {
  return {
    name: 'sluice.public.orders',
    partitions: 6,
    replicationFactor: 3,
    configs: { 'cleanup.policy': 'compact,delete', 'retention.ms': '604800000' },
    ...overrides,
  };
}

describe('diffTopic', () => {
  it('finds nothing when the topic matches (numbers compared as Kafka strings)', () => {
    assert.deepEqual(diffTopic(spec, observed()), []);
  });

  it('forgives whitespace around list separators only', () => {
    assert.deepEqual(
      diffTopic(
        spec,
        observed({ configs: { 'cleanup.policy': 'compact, delete', 'retention.ms': '604800000' } }),
      ),
      [],
    );
    assert.equal(
      diffTopic(
        spec,
        observed({ configs: { 'cleanup.policy': 'delete,compact', 'retention.ms': '604800000' } }),
      ).length,
      1,
    );
  });

  it('reports fewer partitions than declared', () => {
    assert.deepEqual(diffTopic(spec, observed({ partitions: 3 })), [
      { kind: 'partitions', declared: 6, actual: 3, direction: 'fewer' },
    ]);
  });

  it('reports more partitions than declared (which Kafka cannot undo)', () => {
    const drift = diffTopic(spec, observed({ partitions: 12 }));
    assert.deepEqual(drift, [{ kind: 'partitions', declared: 6, actual: 12, direction: 'more' }]);
    assert.match(describeDrift(drift[0]), /declared 6, actual 12 \(Kafka cannot reduce partitions\)/);
  });

  it('reports a different replication factor', () => {
    assert.deepEqual(diffTopic(spec, observed({ replicationFactor: 1 })), [
      { kind: 'replicationFactor', declared: 3, actual: 1 },
    ]);
  });

  it('reports a config with another value, and one the broker did not report', () => {
    const drift = diffTopic(spec, observed({ configs: { 'cleanup.policy': 'delete' } }));
    assert.deepEqual(drift, [
      { kind: 'config', name: 'cleanup.policy', declared: 'compact,delete', actual: 'delete' },
      { kind: 'config', name: 'retention.ms', declared: '604800000', actual: null },
    ]);
    assert.equal(
      describeDrift(drift[1]),
      'retention.ms: declared "604800000", actual not reported by the broker',
    );
  });

  it('ignores configs the declaration does not mention', () => {
    const extra = observed({ configs: { ...observed().configs, 'segment.bytes': '1048576' } });
    assert.deepEqual(diffTopic(spec, extra), []);
  });

  it('reports every difference at once', () => {
    const kinds = diffTopic(spec, { name: spec.name, partitions: 1, replicationFactor: 1, configs: {} }).map(
      (d) => d.kind,
    );
    assert.deepEqual(kinds, ['partitions', 'replicationFactor', 'config', 'config']);
  });
});
