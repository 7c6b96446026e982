// `sluice topics list | describe` against the real broker: the planned topics as Kafka has them,
// record counts and a group's committed offsets turned into lag, and the failures of a missing topic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { createKafkaClient, createProducer, kafkaConfigSchema } from '@sluice/kafka';
import { runSluice, stackAddresses, uniqueName } from '@sluice/test-support';

const { kafkaBrokers } = stackAddresses();
const brokers = kafkaBrokers.join(',');

interface ListedTopic {
  name: string;
  exists: boolean;
  partitions: number | null;
  records: string;
  usedBy: string[];
  lag: Array<{ group: string; state: string; members: number; lag: string | null }>;
}

describe('sluice topics list | describe', () => {
  const topic = uniqueName('topics-cli');
  const group = uniqueName('topics-cli-group');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-topics-cli-'));
  const configFile = join(dir, 'sink-http.yaml');
  let admin: Admin;

  before(async () => {
    const kafka = createKafkaClient(kafkaConfigSchema.parse({ brokers: kafkaBrokers, logLevel: 'nothing' }));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
      waitForLeaders: true,
    });
    const producer = createProducer(kafka);
    await producer.connect();
    const messages = (partition: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition }));
    await producer.send({ topic, messages: [...messages(0, 10), ...messages(1, 5)] });
    await producer.disconnect();
    // The group read 4 records of partition 0 and none of the others.
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '4' }] });
    writeFileSync(
      configFile,
      [
        `group: ${group}`,
        `topics: [${topic}]`,
        'destinations:',
        '  - { name: hook, url: "http://127.0.0.1:1/x", method: POST, body: "{{ after }}" }',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('list: the configuration’s topics with partitions, records and the group’s lag', () => {
    const run = runSluice(['topics', 'list', configFile, '--brokers', brokers, '--output', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const listed = (JSON.parse(run.stdout) as { topics: ListedTopic[] }).topics;
    const input = listed.find((t) => t.name === topic)!;
    assert.equal(input.exists, true);
    assert.equal(input.partitions, 3);
    assert.equal(input.records, '15');
    assert.deepEqual(input.lag, [{ group, state: 'Empty', members: 0, lag: '6' }]);
    const dlq = listed.find((t) => t.name === `${group}.dlq`)!;
    assert.equal(dlq.exists, false, 'the DLQ is planned but not created yet');
    assert.ok(
      listed.some((t) => t.name === `${group}.dlq.parked`),
      'sinks park keys by default',
    );

    const text = runSluice(['topics', 'list', configFile, '--brokers', brokers]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^${topic}\\s+3\\s+15\\s+${group}: 6$`, 'm'));
    assert.match(text.stdout, new RegExp(`^${group}\\.dlq\\s+missing`, 'm'));
  });

  it('describe: offsets per partition, the topic’s own configs and the lag per partition', () => {
    const run = runSluice(['topics', 'describe', topic, '--brokers', brokers, '-o', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const described = JSON.parse(run.stdout) as {
      partitions: Array<{ partition: number; lowOffset: string; highOffset: string; leader: number }>;
      configs: Record<string, string>;
      consumerGroups: Array<{
        group: string;
        partitions: Array<{ partition: number; committed: string | null; lag: string | null }>;
      }>;
    };
    assert.deepEqual(
      described.partitions.map((p) => [p.partition, p.lowOffset, p.highOffset]),
      [
        [0, '0', '10'],
        [1, '0', '5'],
        [2, '0', '0'],
      ],
    );
    assert.deepEqual(described.configs, { 'retention.ms': '86400000' });
    const ours = described.consumerGroups.find((g) => g.group === group)!;
    assert.deepEqual(
      ours.partitions.map((p) => [p.partition, p.committed, p.lag]),
      [
        [0, '4', '6'],
        [1, null, null],
        [2, null, null],
      ],
    );
  });

  it('describe --group limits the groups; text output lines up', () => {
    const run = runSluice(['topics', 'describe', topic, '--brokers', brokers, '--group', group]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /configs set on the topic: retention\.ms=86400000/);
    assert.match(run.stdout, new RegExp(`^${group}\\s+Empty\\s+0\\s+0\\s+4\\s+10\\s+6$`, 'm'));
  });

  it('a missing configuration file is one line naming it (exit 1)', () => {
    const run = runSluice(['topics', 'list', join(dir, 'nope.yaml'), '--brokers', brokers]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /nope\.yaml/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  });

  it('an unreachable broker is one line naming it (exit 1)', () => {
    const run = runSluice(['topics', 'describe', topic, '--brokers', '127.0.0.1:1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^sluice: cannot reach Kafka at 127\.0\.0\.1:1/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  });
});
