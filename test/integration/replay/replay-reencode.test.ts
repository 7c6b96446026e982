// `sluice replay --reencode-latest` against the real stack and registry, through the real CLI:
// values written with schema v1 arrive in the target framed with the id of the target subject's
// latest version (v2, an added optional field) and decode as v2; a value that is not framed Avro
// stops the replay with one line naming topic, partition and offset, or is skipped and counted
// with --skip-bad. Avro keys are re-encoded to the target's `-key` subject the same way; a key
// that is not framed Avro passes unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder, RecordEncoder, unframeRecord } from '@sluice/schema';
import { runSluice, stackAddresses, uniqueName } from '@sluice/test-support';
import { errorLines, ReplayBed } from './replay-harness';

const V1 = JSON.stringify({
  type: 'record',
  name: 'Item',
  namespace: 'it.replay',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
});
const V2 = JSON.stringify({
  type: 'record',
  name: 'Item',
  namespace: 'it.replay',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

const KEY_V1 = JSON.stringify({
  type: 'record',
  name: 'ItemKey',
  namespace: 'it.replay',
  fields: [{ name: 'id', type: 'long' }],
});
const KEY_V2 = JSON.stringify({
  type: 'record',
  name: 'ItemKey',
  namespace: 'it.replay',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'region', type: 'string', default: 'eu' },
  ],
});

describe('sluice replay --reencode-latest', { timeout: 180_000 }, () => {
  let bed: ReplayBed;
  let source: string;
  const registry = new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl });

  before(async () => {
    bed = await ReplayBed.open();
    source = await bed.createTopic(uniqueName('it.replay.v1'), 1);
    const encoder = new RecordEncoder(registry);
    const producer = createProducer(bed.kafka);
    await producer.connect();
    const messages = [];
    for (let i = 0; i < 20; i++) {
      messages.push({
        key: `k${i}`,
        value: await encoder.encode(`${source}-value`, V1, { id: i, name: `n${i}` }),
      });
    }
    messages.push({ key: 'bad', value: Buffer.from('not avro at all') });
    await producer.send({ topic: source, messages });
    await producer.disconnect();
  });

  after(async () => {
    await bed?.close();
  });

  const targetAtV2 = async () => {
    const target = await bed.createTopic(uniqueName('it.replay.v2'), 1);
    await registry.register(`${target}-value`, V1);
    const v2 = await registry.register(`${target}-value`, V2);
    return { target, v2 };
  };

  it("re-encodes v1 values to the target subject's latest version", async () => {
    const { target, v2 } = await targetAtV2();
    const run = runSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      target,
      '--to-offset',
      '20',
      '--reencode-latest',
      '-q',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const records = (await bed.readAll(target)).get(0)!;
    assert.equal(records.length, 20);
    const decoder = new RecordDecoder(registry);
    for (const [i, r] of records.entries()) {
      assert.equal(unframeRecord(r.value!).schemaId, v2);
      assert.deepEqual(
        { ...(await decoder.decode<object>(r.value!)).value },
        { id: i, name: `n${i}`, note: null },
      );
      assert.equal(r.key!.toString(), `k${i}`);
    }
  });

  it('stops at a value it cannot re-encode, naming it; --skip-bad skips and counts it', async () => {
    const { target } = await targetAtV2();
    const stopped = runSluice(['replay', '--topic', source, '--to-topic', target, '--reencode-latest', '-q']);
    assert.equal(stopped.code, 1);
    assert.deepEqual(errorLines(stopped.stderr), [
      `sluice: cannot re-encode ${source}[0]@20: the value is not Confluent-framed Avro (no magic byte 0)`,
    ]);

    const { target: other } = await targetAtV2();
    const skipped = runSluice([
      'replay',
      '--topic',
      source,
      '--to-topic',
      other,
      '--reencode-latest',
      '--skip-bad',
      '-q',
      '-o',
      'json',
    ]);
    assert.equal(skipped.code, 0, skipped.stderr);
    const result = JSON.parse(skipped.stdout) as { status: string; published: number; skipped: number };
    assert.deepEqual([result.status, result.published, result.skipped], ['done', 20, 1]);
    assert.equal((await bed.readAll(other)).get(0)!.length, 20);
  });

  it("re-encodes Avro keys to the target's -key subject; a plain key passes unchanged", async () => {
    const keyed = await bed.createTopic(uniqueName('it.replay.keyed'), 1);
    const encoder = new RecordEncoder(registry);
    const producer = createProducer(bed.kafka);
    await producer.connect();
    const messages = [];
    for (let i = 0; i < 5; i++) {
      messages.push({
        key: await encoder.encode(`${keyed}-key`, KEY_V1, { id: i }),
        value: await encoder.encode(`${keyed}-value`, V1, { id: i, name: `n${i}` }),
      });
    }
    messages.push({ key: 'plain', value: await encoder.encode(`${keyed}-value`, V1, { id: 9, name: 'p' }) });
    await producer.send({ topic: keyed, messages });
    await producer.disconnect();

    const { target, v2 } = await targetAtV2();
    await registry.register(`${target}-key`, KEY_V1);
    const keyV2 = await registry.register(`${target}-key`, KEY_V2);
    const run = runSluice(['replay', '--topic', keyed, '--to-topic', target, '--reencode-latest', '-q']);
    assert.equal(run.code, 0, run.stderr);

    const records = (await bed.readAll(target)).get(0)!;
    assert.equal(records.length, 6);
    const decoder = new RecordDecoder(registry);
    for (const [i, r] of records.slice(0, 5).entries()) {
      assert.equal(unframeRecord(r.key!).schemaId, keyV2);
      assert.deepEqual({ ...(await decoder.decode<object>(r.key!)).value }, { id: i, region: 'eu' });
      assert.equal(unframeRecord(r.value!).schemaId, v2);
    }
    assert.equal(records[5]!.key!.toString(), 'plain');
    assert.equal(unframeRecord(records[5]!.value!).schemaId, v2);
  });
});
