// Bad input to sink-postgres: invalid configuration exits 1 naming the YAML path; an undecodable
// record, an unknown schema id, a value the target table refuses, a schema whose column type
// conflicts with the existing table and a table without a key on the key columns are dead-lettered
// with their reason while every other row is written; a missing topic is a clear start-up error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Consumer } from 'kafkajs';
import { createProducer } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, frameRecord, RecordEncoder } from '@sluice/schema';
import { type DeadLetterInfo, headersFromMap, type HeaderMap, readDeadLetterHeaders } from '@sluice/stream';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { freePort } from '../source-postgres-harness';
import { SinkTestBed } from './sink-postgres-harness';

const KEY = JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] });
const VALUE = JSON.stringify({
  type: 'record',
  name: 'Row',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'code', type: ['null', 'string'], default: null },
  ],
});

describe('sink-postgres bad input', { timeout: 300_000 }, () => {
  let bed: SinkTestBed;
  const consumers: Consumer[] = [];

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_faults');
  });

  after(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await bed?.cleanup();
  });

  it('exits 1 naming the YAML path of an invalid setting', async () => {
    const app = await bed.spawnSink({ topics: ['x'], conflicts: 'newest' });
    assert.equal(await app.exited, 1);
    assert.match(app.output(), /conflicts/);
  });

  it('waits for an input topic that does not exist yet, naming it in /status and the connector status, and starts when it appears', async () => {
    const topic = `${bed.name}.later`;
    const app = await bed.spawnSink(bed.sinkConfig({ topics: [topic] }));
    const waiting = await bed.waitForStatus(app, (s) => s.phase === 'retrying');
    assert.match(String(waiting.lastError), new RegExp(`${bed.name}\\.later.*do not exist`));
    assert.equal((await fetch(`${app.url}/health/live`)).status, 200, 'live: waiting is not a failure');
    assert.equal((await fetch(`${app.url}/health/ready`)).status, 503, 'not ready while it waits');
    const connectors = (await (await fetch(`${app.url}/connectors`)).json()) as Array<{ name: string }>;
    const connectorStatus = await (await fetch(`${app.url}/connectors/${connectors[0]!.name}/status`)).json();
    assert.match(JSON.stringify(connectorStatus), /later.*do not exist/);
    assert.equal(app.child.exitCode, null, 'the process stays up (no crash loop on Kubernetes)');
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const running = await bed.waitForStatus(app, (s) => s.phase === 'running', 90_000);
    assert.equal(running.lastError, undefined);
    app.child.kill('SIGTERM');
    assert.equal(await app.exited, 0);
  });

  it('retries with the reason while the target database cannot be reached, staying up', async () => {
    const topic = `${bed.name}.unreachable`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const config = bed.sinkConfig({ topics: [topic] });
    const app = await bed.spawnSink({ ...config, target: { ...config.target, port: await freePort() } });
    const retrying = await bed.waitForStatus(app, (s) => s.phase === 'retrying');
    assert.match(String(retrying.lastError), /ECONNREFUSED/);
    assert.equal((await fetch(`${app.url}/health/live`)).status, 200);
    assert.equal((await fetch(`${app.url}/health/ready`)).status, 503);
    app.child.kill('SIGTERM');
    assert.equal(await app.exited, 0);
  });

  it('dead-letters undecodable, unknown-schema, refused and incompatible records with the reason; the rest is written', async () => {
    const rows = `${bed.name}.rows`;
    const typed = `${bed.name}.typed`;
    const nokey = `${bed.name}.nokey`;
    const wide = `${bed.name}.wide`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [rows, typed, nokey, wide].map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    // Tables made by hand: `code` takes 3 characters; `typed.code` is an integer the schema cannot fill.
    await bed.sinkSql(
      `CREATE TABLE ${bed.name}.rows (id bigint PRIMARY KEY, code varchar(3), __sluice_lsn bigint, __sluice_ts_ms bigint)`,
    );
    await bed.sinkSql(`CREATE TABLE ${bed.name}.typed (id bigint PRIMARY KEY, code integer)`);
    await bed.sinkSql(`CREATE TABLE ${bed.name}.nokey (id bigint, code text)`);
    // An indexed text column: a value whose index row exceeds the btree limit is SQLSTATE 54000
    // (class 54, not 22 or 23), which restarted the sink on it forever before.
    await bed.sinkSql(`CREATE TABLE ${bed.name}.wide (id bigint PRIMARY KEY, code text)`);
    await bed.sinkSql(`CREATE INDEX ON ${bed.name}.wide (code)`);

    const registry = new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl });
    const encoder = new RecordEncoder(registry);
    const key = (topic: string, id: number) => encoder.encode(`${topic}-key`, KEY, { id });
    const value = (topic: string, id: number, code: string) =>
      encoder.encode(`${topic}-value`, VALUE, { id, code });
    const producer = createProducer(bed.source.kafka);
    await producer.connect();
    await producer.send({
      topic: rows,
      messages: [
        { key: await key(rows, 1), value: await value(rows, 1, 'ok') },
        { key: await key(rows, 2), value: Buffer.from('not avro at all') },
        { key: await key(rows, 3), value: frameRecord(987_654_321, Buffer.from([2, 0])) },
        { key: await key(rows, 4), value: await value(rows, 4, 'far too long') },
        { key: await key(rows, 5), value: await value(rows, 5, 'yes') },
      ],
    });
    await producer.send({
      topic: typed,
      messages: [{ key: await key(typed, 1), value: await value(typed, 1, 'x') }],
    });
    await producer.send({
      topic: nokey,
      messages: [{ key: await key(nokey, 1), value: await value(nokey, 1, 'x') }],
    });
    await producer.send({
      topic: wide,
      messages: [
        // Random hex barely compresses: 8,000 characters stay well over the ~2.7 KB index limit.
        { key: await key(wide, 1), value: await value(wide, 1, randomBytes(4_000).toString('hex')) },
        { key: await key(wide, 2), value: await value(wide, 2, 'fits') },
      ],
    });
    await producer.disconnect();

    const config = bed.sinkConfig({ topics: [rows, typed, nokey, wide], group: `${bed.name}.faults` });
    const sink = await bed.spawnSink(config);
    const letters = await deadLetters(`${bed.name}.faults.dlq`, 6).catch((error: Error) => {
      throw new Error(`${error.message}; sink output: ${sink.output().slice(-3000)}`);
    });
    const byOffset = (topic: string, offset: bigint) =>
      letters.find((l) => l.topic === topic && l.offset === offset);

    assert.equal(byOffset(rows, 1n)?.stage, 'VALUE_CONVERTER');
    assert.equal(byOffset(rows, 1n)?.exception?.className, 'CorruptRecordError');
    assert.equal(byOffset(rows, 2n)?.stage, 'VALUE_CONVERTER');
    assert.equal(byOffset(rows, 2n)?.exception?.className, 'UnknownSchemaIdError');
    const refused = byOffset(rows, 3n);
    assert.equal(refused?.stage, 'TASK_PUT');
    assert.equal(refused?.exception?.className, 'TargetRejectedRowError');
    assert.match(refused?.exception?.message ?? '', /SQLSTATE 22001/);
    const incompatible = byOffset(typed, 0n);
    assert.equal(incompatible?.stage, 'TASK_PUT');
    assert.equal(incompatible?.exception?.className, 'IncompatibleTableError');
    assert.match(incompatible?.exception?.message ?? '', /column code is integer, the schema needs text/);
    const keyless = byOffset(nokey, 0n);
    assert.equal(keyless?.exception?.className, 'IncompatibleTableError');
    assert.match(
      keyless?.exception?.message ?? '',
      /no primary key or unique index on exactly the key columns \(id\)/,
    );

    const tooWide = byOffset(wide, 0n);
    assert.equal(tooWide?.stage, 'TASK_PUT');
    assert.equal(tooWide?.exception?.className, 'TargetRejectedRowError');
    assert.match(tooWide?.exception?.message ?? '', /SQLSTATE 54000/);
    await bed.source.waitFor(
      async () =>
        (await bed.sinkSql<{ id: string }>(`SELECT id FROM ${bed.name}.wide`)).map((r) => r.id).join() ===
          '2' || undefined,
      30_000,
      'the row that fits, written',
    );

    await bed.waitForStatus(sink, (s) => s.recordsDeadLettered + s.rowsUpserted >= 5);
    const written = await bed.sinkSql<{ id: string; code: string }>(
      `SELECT id, code FROM ${bed.name}.rows ORDER BY id`,
    );
    assert.deepEqual(written, [
      { id: '1', code: 'ok' },
      { id: '5', code: 'yes' },
    ]);

    // A tombstone (null value) on an unwrapped topic deletes the key's row.
    const tombstones = createProducer(bed.source.kafka);
    await tombstones.connect();
    await tombstones.send({ topic: rows, messages: [{ key: await key(rows, 5), value: null }] });
    await tombstones.disconnect();
    await bed.source.waitFor(
      async () =>
        (await bed.sinkSql(`SELECT 1 FROM ${bed.name}.rows WHERE id = 5`)).length === 0 || undefined,
      60_000,
      'tombstone applied',
    );
  });

  async function deadLetters(topic: string, count: number): Promise<DeadLetterInfo[]> {
    const found: DeadLetterInfo[] = [];
    await bed.source.waitFor(
      async () => {
        const admin = bed.source.kafka.admin();
        await admin.connect();
        const exists = (await admin.listTopics()).includes(topic);
        await admin.disconnect();
        return exists || undefined;
      },
      60_000,
      `topic ${topic}`,
    );
    const consumer = bed.source.kafka.consumer({
      groupId: uniqueName('it-sinkpg-dlq'),
      maxWaitTimeInMs: 200,
    });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const info = readDeadLetterHeaders(headersFromMap(message.headers as HeaderMap | undefined));
        if (info) found.push(info);
      },
    });
    await bed.source
      .waitFor(async () => found.length >= count || undefined, 90_000, `${count} dead letters`)
      .catch((error: Error) => {
        throw new Error(
          `${error.message}: ${JSON.stringify(found, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      });
    return found;
  }
});
