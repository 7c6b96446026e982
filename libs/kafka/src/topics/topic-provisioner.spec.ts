import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin } from 'kafkajs';
import { ConfigError } from '@sluice/errors';
import { TopicProvisioner } from './topic-provisioner';

interface FakeTopic {
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/**
 * Just enough of kafkajs's Admin for the provisioner's decisions; it records every call, so the
 * tests can say what was (and was not) asked of the cluster. The real broker is in
 * test/integration/kafka-topic-provisioner.test.ts.
 */
function fakeAdmin(topics: Record<string, FakeTopic>) {
  const calls: string[] = [];
  const admin = {
    listTopics: async () => Object.keys(topics),
    createTopics: async ({
      topics: created,
    }: {
      topics: Array<{
        topic: string;
        numPartitions: number;
        replicationFactor: number;
        configEntries: Array<{ name: string; value: string }>;
      }>;
    }) => {
      for (const t of created) {
        calls.push(`create ${t.topic}`);
        topics[t.topic] = {
          partitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          configs: Object.fromEntries(t.configEntries.map((e) => [e.name, e.value])),
        };
      }
      return true;
    },
    createPartitions: async ({
      topicPartitions,
    }: {
      topicPartitions: Array<{ topic: string; count: number }>;
    }) => {
      for (const { topic, count } of topicPartitions) {
        calls.push(`partitions ${topic} ${count}`);
        topics[topic].partitions = count;
      }
      return true;
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => ({
      topics: names.map((name) => ({
        name,
        partitions: Array.from({ length: topics[name].partitions }, (_, partitionId) => ({
          partitionId,
          partitionErrorCode: 0,
          leader: 1,
          replicas: Array.from({ length: topics[name].replicationFactor }, (_, i) => i + 1),
          isr: [1],
        })),
      })),
    }),
    describeConfigs: async ({
      resources,
    }: {
      resources: Array<{ name: string; configNames: string[] }>;
    }) => ({
      throttleTime: 0,
      resources: resources.map(({ name, configNames }) => ({
        resourceName: name,
        resourceType: 2,
        errorCode: 0,
        errorMessage: '',
        configEntries: configNames
          .filter((c) => topics[name].configs[c] !== undefined)
          .map((c) => ({
            configName: c,
            configValue: topics[name].configs[c],
            isDefault: false,
            configSource: 1,
            isSensitive: false,
            readOnly: false,
            configSynonyms: [],
          })),
      })),
    }),
  };
  return { admin: admin as unknown as Admin, calls, topics };
}

const orders = {
  name: 'orders',
  partitions: 6,
  replicationFactor: 1,
  configs: { 'cleanup.policy': 'compact' },
};

describe('TopicProvisioner', () => {
  it('creates what is missing, and a second run finds nothing to do', async () => {
    const { admin, calls } = fakeAdmin({});
    const provisioner = new TopicProvisioner(admin);
    assert.deepEqual(await provisioner.provision([orders]), {
      created: ['orders'],
      increased: [],
      unchanged: [],
      drifted: [],
    });
    assert.deepEqual(await provisioner.provision([orders]), {
      created: [],
      increased: [],
      unchanged: ['orders'],
      drifted: [],
    });
    assert.deepEqual(calls, ['create orders']);
  });

  it('reports fewer partitions without touching them unless told to', async () => {
    const { admin, calls } = fakeAdmin({
      orders: { partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
    });
    const report = await new TopicProvisioner(admin).provision([orders]);
    assert.deepEqual(report.drifted, [
      { name: 'orders', drift: [{ kind: 'partitions', declared: 6, actual: 3, direction: 'fewer' }] },
    ]);
    assert.deepEqual(calls, []);
  });

  it('raises partitions when allowed, and reports what remains different', async () => {
    const { admin, calls } = fakeAdmin({
      orders: { partitions: 3, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } },
    });
    const report = await new TopicProvisioner(admin).provision([orders], { increasePartitions: true });
    assert.deepEqual(calls, ['partitions orders 6']);
    assert.deepEqual(report.increased, [{ name: 'orders', from: 3, to: 6 }]);
    assert.deepEqual(report.drifted, [
      {
        name: 'orders',
        drift: [{ kind: 'config', name: 'cleanup.policy', declared: 'compact', actual: 'delete' }],
      },
    ]);
  });

  it('never shrinks a topic with more partitions than declared, even when increases are allowed', async () => {
    const { admin, calls } = fakeAdmin({
      orders: { partitions: 12, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } },
    });
    const report = await new TopicProvisioner(admin).provision([orders], { increasePartitions: true });
    assert.deepEqual(calls, []);
    assert.equal(report.drifted[0].drift[0].kind, 'partitions');
  });

  it('refuses invalid declarations before asking the cluster anything', async () => {
    const { admin, calls } = fakeAdmin({});
    await assert.rejects(
      new TopicProvisioner(admin).provision([orders, { ...orders, partitions: 0 }]),
      (err: unknown) => err instanceof ConfigError && err.path === 'topics[1].partitions',
    );
    assert.deepEqual(calls, []);
  });
});
