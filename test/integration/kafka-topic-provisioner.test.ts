// TopicProvisioner against a real broker: creates what is missing, is idempotent, reports drift made
// behind its back through the admin API, raises partitions only when allowed, and never deletes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner, type TopicSpecInput } from '@sluice/kafka';
import { stackAddresses, uniqueName } from '@sluice/test-support';

describe('TopicProvisioner against the broker', () => {
  const compacted = uniqueName('it.kafka.provisioner.compacted');
  const plain = uniqueName('it.kafka.provisioner.plain');
  const specs: TopicSpecInput[] = [
    {
      name: compacted,
      partitions: 3,
      replicationFactor: 1,
      configs: { 'cleanup.policy': 'compact', 'retention.ms': 3_600_000 },
    },
    { name: plain, partitions: 2, replicationFactor: 1 },
  ];
  let admin: Admin;
  let provisioner: TopicProvisioner;

  before(async () => {
    const kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-provisioner' }),
    );
    admin = kafka.admin();
    await admin.connect();
    provisioner = new TopicProvisioner(admin);
  });

  async function partitionCount(topic: string): Promise<number> {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  }

  /** The broker's metadata catches up with CreatePartitions a moment after it returns. */
  async function waitForPartitions(topic: string, count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await partitionCount(topic)) !== count) {
      if (Date.now() > deadline) assert.fail(`${topic} did not reach ${count} partitions`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  after(async () => {
    await admin?.deleteTopics({ topics: [compacted, plain] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('creates missing topics with their partitions and configs', async () => {
    const report = await provisioner.provision(specs);
    assert.deepEqual(report, { created: [compacted, plain], increased: [], unchanged: [], drifted: [] });

    const { topics } = await admin.fetchTopicMetadata({ topics: [compacted, plain] });
    assert.deepEqual(topics.map((t) => [t.name, t.partitions.length]).sort(), [
      [compacted, 3],
      [plain, 2],
    ]);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: compacted, configNames: ['cleanup.policy', 'retention.ms'] },
      ],
    });
    assert.deepEqual(
      Object.fromEntries(configs.resources[0].configEntries.map((e) => [e.configName, e.configValue])),
      { 'cleanup.policy': 'compact', 'retention.ms': '3600000' },
    );
  });

  it('finds nothing to do the second time', async () => {
    assert.deepEqual(await provisioner.provision(specs), {
      created: [],
      increased: [],
      unchanged: [compacted, plain],
      drifted: [],
    });
  });

  it('reports a config altered through the admin API, and leaves it alone', async () => {
    // AlterConfigs (not incremental) replaces the topic's whole override set: restate cleanup.policy.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: compacted,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '7200000' },
          ],
        },
      ],
    });
    // The broker acknowledges AlterConfigs before its metadata shows the new value: wait for it,
    // so the provisioner reads what the admin wrote (CI once read the old value 46 ms later).
    for (const deadline = Date.now() + 10_000; ;) {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: compacted, configNames: ['retention.ms'] }],
      });
      const entry = resources[0]?.configEntries.find((e) => e.configName === 'retention.ms');
      if (entry?.configValue === '7200000') break;
      assert.ok(Date.now() < deadline, `retention.ms of ${compacted} never read 7200000`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const report = await provisioner.provision(specs);
    assert.deepEqual(report.drifted, [
      {
        name: compacted,
        drift: [{ kind: 'config', name: 'retention.ms', declared: '3600000', actual: '7200000' }],
      },
    ]);
    assert.deepEqual(report.unchanged, [plain]);

    const again = await provisioner.provision(specs);
    assert.deepEqual(again.drifted, report.drifted, 'reporting drift changed nothing');
  });

  it('reports extra partitions and never shrinks them, even when increases are allowed', async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: plain, count: 4 }] });
    await waitForPartitions(plain, 4);
    const report = await provisioner.provision(specs, { increasePartitions: true });
    assert.deepEqual(report.drifted.find((d) => d.name === plain)?.drift, [
      { kind: 'partitions', declared: 2, actual: 4, direction: 'more' },
    ]);
    assert.equal(await partitionCount(plain), 4);
  });

  it('raises a partition count only when allowed', async () => {
    const wider: TopicSpecInput[] = [{ name: plain, partitions: 6, replicationFactor: 1 }];
    const reported = await provisioner.provision(wider);
    assert.deepEqual(reported.drifted, [
      { name: plain, drift: [{ kind: 'partitions', declared: 6, actual: 4, direction: 'fewer' }] },
    ]);

    const raised = await provisioner.provision(wider, { increasePartitions: true });
    assert.deepEqual(raised, {
      created: [],
      increased: [{ name: plain, from: 4, to: 6 }],
      unchanged: [plain],
      drifted: [],
    });
    await waitForPartitions(plain, 6);
  });

  it('never deletes a topic that is no longer declared', async () => {
    const report = await provisioner.provision([]);
    assert.deepEqual(report, { created: [], increased: [], unchanged: [], drifted: [] });
    const names = await admin.listTopics();
    assert.ok(names.includes(compacted) && names.includes(plain));
  });
});
