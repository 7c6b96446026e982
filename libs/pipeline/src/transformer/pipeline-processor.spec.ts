import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetriableError } from '@sluice/errors';
import { InMemorySchemaRegistry, RecordDecoder, RecordEncoder } from '@sluice/schema';
import { inStage, type ProcessContext, StageFailure, type StreamRecord } from '@sluice/stream';
import { ORDERS_ENVELOPE_TEXT, ORDERS_KEY_TEXT, orderEvent, orderRow } from '../testing/orders-fixture';
import { pipelineWith } from '../testing/pipeline-harness';
import { OutputSchemaRegistrations } from './output-schemas';
import { type OutputTopics } from './output-topics';
import { PipelineProcessor } from './pipeline-processor';

/** A registry that refuses (retriably) to register key subjects while `keysAway` is set. */
class KeysAwayRegistry extends InMemorySchemaRegistry {
  keysAway = false;
  readonly registered: string[] = [];

  override async register(subject: string, schema: string): Promise<number> {
    this.registered.push(subject);
    if (this.keysAway && subject.endsWith('-key')) throw new RetriableError('registry away');
    return super.register(subject, schema);
  }
}

const INPUT = 'sluice.public.orders';
const ctx: ProcessContext = { signal: new AbortController().signal, attempt: 1, stage: inStage };

async function setup() {
  const registry = new KeysAwayRegistry();
  const inputs = new RecordEncoder(registry);
  const key = await inputs.encode(`${INPUT}-key`, ORDERS_KEY_TEXT, { id: 7 });
  const value = await inputs.encode(`${INPUT}-value`, ORDERS_ENVELOPE_TEXT, orderEvent('c', orderRow()));
  registry.registered.length = 0;
  const processor = new PipelineProcessor({
    pipeline: pipelineWith([{ unwrap: {} }]),
    registry,
    decoder: new RecordDecoder(registry),
    encoder: new RecordEncoder(registry),
    schemas: new OutputSchemaRegistrations(registry),
    // The output topic exists: nothing to provision.
    topics: { ensure: () => undefined } as unknown as OutputTopics,
    keyFormat: 'avro',
  });
  const record = (offset: number, bytes: { key?: Buffer; value?: Buffer } = {}): StreamRecord => ({
    topic: INPUT,
    partition: 0,
    offset: BigInt(offset),
    key: bytes.key ?? key,
    value: bytes.value ?? value,
    headers: [],
    timestamp: '1700000000000',
  });
  return { registry, processor, record };
}

const failedIn =
  (stage: string, className: string) =>
  (error: unknown): boolean =>
    error instanceof StageFailure && error.stage === stage && error.className === className;

describe('PipelineProcessor', () => {
  it('decodes, runs the steps and encodes with the derived schemas, asking the registry only for the first record', async () => {
    const { registry, processor, record } = await setup();
    const [first] = await processor.process(record(0), ctx);
    const calls = { ...registry.calls };
    const [second] = await processor.process(record(1), ctx);
    assert.deepEqual(registry.calls, calls, 'no registry call for a record whose schemas are known');
    assert.deepEqual(second, first);
    const decoder = new RecordDecoder(registry);
    const row = (await decoder.decode(second!.value as Buffer)).value as Record<string, unknown>;
    assert.equal(row.email, 'ada@example.com');
    assert.deepEqual({ ...((await decoder.decode(second!.key as Buffer)).value as object) }, { id: 7 });
    assert.deepEqual(registry.registered.sort(), ['out-key', 'out-value']);
  });

  it('encodes the key before the value: a key the registry cannot take fails the record in KEY_CONVERTER, with no value work behind it', async () => {
    const { registry, processor, record } = await setup();
    registry.keysAway = true;
    await assert.rejects(
      processor.process(record(0), ctx),
      (error: unknown) =>
        failedIn('KEY_CONVERTER', 'RecordEncoder')(error) && (error as StageFailure).retriable,
    );
    assert.deepEqual(registry.registered, ['out-key'], 'the value was not registered behind the failed key');
    registry.keysAway = false;
    const [out] = await processor.process(record(0), ctx);
    assert.ok(Buffer.isBuffer(out!.key) && Buffer.isBuffer(out!.value), 'the retry encodes both');
  });

  it('names the converter that failed: undecodable bytes, an unknown schema id', async () => {
    const { processor, record } = await setup();
    await assert.rejects(
      processor.process(record(0, { value: Buffer.from([0, 0, 0, 0, 2, 0xff]) }), ctx),
      failedIn('VALUE_CONVERTER', 'RecordDecoder'),
    );
    await assert.rejects(
      processor.process(record(0, { key: Buffer.from([0, 0, 0, 0, 99, 2]) }), ctx),
      failedIn('KEY_CONVERTER', 'RecordDecoder'),
    );
    await assert.rejects(
      processor.process(record(0, { key: Buffer.from('not avro') }), ctx),
      failedIn('KEY_CONVERTER', 'RecordDecoder'),
    );
  });
});
