// The transformer app against the real stack: Avro change events through unwrap + mask + route,
// outputs decoded from their topics, derived schemas registered once per input schema and output
// subject, a poison record dead-lettered while the pipeline goes on, and an input schema evolving
// mid-stream (derived again once, output continues).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { type Admin } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { readDeadLetterHeaders, headersFromMap } from '@sluice/stream';
import { deleteTopicsIfPresent, stackAddresses, uniqueName } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  type DecodedOutput,
  freePort,
  kafkaConfig,
  orderRow,
  readDecoded,
  startTransformer,
  untilLeaders,
  untilReady,
  writePipeline,
} from './transformer/transformer-harness';

async function versions(subject: string): Promise<number[]> {
  const res = await fetch(`${stackAddresses().registryUrl}/subjects/${subject}/versions`);
  return (await res.json()) as number[];
}

const expectedTopic = (region: string, t: { eu: string; na: string; other: string }) =>
  region === 'eu' ? t.eu : region === 'us' || region === 'ca' ? t.na : t.other;

describe('transformer: unwrap + mask + route over Avro change events', () => {
  const kafka = createKafkaClient(kafkaConfig);
  let admin: Admin;
  let app: ChildProcess | undefined;
  let url = '';
  const status = async () => (await (await fetch(`${url}/status`)).json()) as Record<string, unknown>;
  const name = uniqueName('it-tr')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const input = uniqueName('it.tr.in');
  const t = { eu: uniqueName('it.tr.eu'), na: uniqueName('it.tr.na'), other: uniqueName('it.tr.other') };
  const group = uniqueName('it.tr.group');
  const writer = new ChangeEventWriter(kafka, input, 'it.public.orders');
  const outputs = (count: number) =>
    readDecoded(kafka, [t.eu, t.na, t.other], count, uniqueName('it.tr.reader'));

  before(async () => {
    admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: input, partitions: 3, replicationFactor: 1 }]);
    await untilLeaders(admin, input);
    const file = writePipeline({ name, input, group, ...t });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = startTransformer(appConfig(file, { http: { host: '127.0.0.1', port } }));
    await untilReady(`${url}/health/ready`);
  });

  after(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((r) => app!.once('exit', r));
    }
    await deleteTopicsIfPresent(admin, [input, t.eu, t.na, t.other, `${group}.dlq`, `${group}.dlq.parked`]);
    await admin.disconnect();
  });

  it(
    'routes unwrapped, masked rows to their topics, keeps keys and partitions, registers each derived schema once',
    { timeout: 90_000 },
    async () => {
      const first = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.encode(orderRow(i))));
      await writer.write(first);
      // A poison record between good ones: not Avro at all.
      await writer.write([{ key: first[0]!.key, value: Buffer.from('not an avro record') }]);
      const second = await Promise.all(
        Array.from({ length: 300 }, (_, i) => writer.encode(orderRow(300 + i))),
      );
      await writer.write(second);

      const seen = await outputs(600);
      assert.equal(seen.length, 600);
      const byId = new Map<number, DecodedOutput>(seen.map((o) => [Number(o.value!.id), o]));
      assert.equal(byId.size, 600, 'each input once');
      for (const [id, out] of byId) {
        const row = orderRow(id);
        assert.equal(out.topic, expectedTopic(row.region!, t), `id ${id} routed by region`);
        assert.deepEqual({ ...(out.key as object) }, { id });
        assert.equal(out.value!.region, row.region);
        assert.equal(out.value!.total, row.total);
        assert.equal(out.value!.__op, 'c');
        assert.notEqual(out.value!.email, row.email, 'email masked');
        assert.equal(typeof out.value!.email, 'string');
      }
      assert.equal(
        new Set(seen.map((o) => o.value!.email)).size,
        600,
        'distinct emails stay distinct after hashing',
      );
      // Derived schemas: one registration per output subject (3 values, 3 keys), not per record.
      assert.equal((await status()).schemaRegistrations, 6);
      for (const topic of [t.eu, t.na, t.other]) {
        assert.deepEqual(await versions(`${topic}-value`), [1]);
        assert.deepEqual(await versions(`${topic}-key`), [1]);
      }
      // Output topics were created with the input's partition count.
      const meta = await admin.fetchTopicMetadata({ topics: [t.eu, t.na, t.other] });
      for (const topic of meta.topics) assert.equal(topic.partitions.length, 3, topic.name);
    },
  );

  it('dead-letters the poison record with Connect headers and goes on', { timeout: 30_000 }, async () => {
    const dlq = `${group}.dlq`;
    const consumer = kafka.consumer({ groupId: uniqueName('it.tr.dlq'), readUncommitted: false });
    const letters: { value: Buffer | null; headers: Record<string, unknown>; partition: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: dlq, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          letters.push({ value: message.value, headers: message.headers ?? {}, partition });
          clearTimeout(timer);
          resolve();
        },
      });
    });
    await consumer.disconnect();
    assert.equal(letters.length, 1);
    const letter = letters[0]!;
    assert.equal(letter.value!.toString(), 'not an avro record', 'the record goes in unchanged');
    const info = readDeadLetterHeaders(headersFromMap(letter.headers as never));
    assert.ok(info, 'dead-letter headers present');
    assert.equal(info.topic, input);
    assert.equal(info.stage, 'VALUE_CONVERTER');
    assert.equal(info.className, 'RecordDecoder');
    assert.equal(info.exception?.className, 'CorruptRecordError');
    assert.equal(info.connectorName, group);
    assert.equal(info.partition, letter.partition, 'same partition number as its source');
    assert.ok(info.offset >= 0n);
    const now = await status();
    assert.equal(now.pipeline, name);
    assert.equal(now.group, group);
    assert.equal(now.phase, 'running');
    assert.equal(now.recordsProcessed, 600);
    assert.equal(now.recordsDeadLettered, 1);
    assert.equal((now.assignedPartitions as unknown[]).length, 3);
    assert.equal((await fetch(`${url}/health/live`)).status, 200);
  });

  it(
    'derives again once when the input schema evolves mid-stream, and output continues',
    { timeout: 90_000 },
    async () => {
      const evolved = await Promise.all(
        Array.from({ length: 200 }, (_, i) => writer.encode({ ...orderRow(600 + i), note: `n${i}` }, true)),
      );
      await writer.write(evolved);
      const seen = await outputs(800);
      assert.equal(seen.length, 800);
      const late = seen.filter((o) => Number(o.value!.id) >= 600);
      assert.equal(late.length, 200);
      for (const o of late)
        assert.equal(o.value!.note, `n${Number(o.value!.id) - 600}`, 'new column carried');
      const early = seen.find((o) => Number(o.value!.id) < 600)!;
      const lateOnSameTopic = late.find((o) => o.topic === early.topic)!;
      assert.notEqual(early.valueSchemaId, lateOnSameTopic.valueSchemaId, 'a new derived schema version');
      // Three new value schemas; the keys derive the same text again and are not registered again.
      assert.equal((await status()).schemaRegistrations, 9);
      for (const topic of [t.eu, t.na, t.other]) assert.deepEqual(await versions(`${topic}-value`), [1, 2]);
    },
  );
});
