import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailedError } from '../pipeline/pipeline-errors';
import {
  assertEncodable,
  configErrorOf,
  pipelineWith,
  schemaJson,
  SPEC_NOW,
} from '../testing/pipeline-harness';
import { orderEvent, orderInput, orderRow } from '../testing/orders-fixture';

type Schema = {
  name: string;
  fields: { name: string; type: unknown; aliases?: string[]; default?: unknown }[];
};
const names = (s: unknown) => (s as Schema).fields.map((f) => f.name);
const created = orderInput(orderEvent('c', orderRow()));

async function one(steps: unknown[]) {
  const outputs = await pipelineWith([{ unwrap: {} }, ...steps]).process(created);
  assert.equal(outputs.length, 1);
  await assertEncodable(outputs);
  return {
    value: outputs[0]!.value as Record<string, unknown>,
    schema: schemaJson(outputs[0]!.valueSchema) as Schema,
  };
}

const derivationFails = (steps: unknown[], pattern: RegExp) =>
  assert.rejects(
    pipelineWith([{ unwrap: {} }, ...steps]).process(created),
    (e: unknown) => e instanceof StepFailedError && e.code === 'SCHEMA_DERIVATION' && pattern.test(e.message),
  );

describe('select step', () => {
  it('keeps the named fields in the given order, in value and schema', async () => {
    const { value, schema } = await one([{ select: { fields: ['total', 'id'] } }]);
    assert.deepEqual(value, { total: 99.5, id: 7 });
    assert.deepEqual(names(schema), ['total', 'id']);
    assert.equal(schema.name, 'Value');
  });
  it('an unknown field fails derivation naming it; bad config names the path', async () => {
    await derivationFails([{ select: { fields: ['nope'] } }], /steps\[1\]\.select: .*no field "nope"/);
    assert.equal(configErrorOf([{ select: { fields: 'id' } }]).path, 'steps[0].select.fields');
  });
});

describe('drop step', () => {
  it('removes the named fields', async () => {
    const { value, schema } = await one([{ drop: { fields: ['email', 'created_at'] } }]);
    assert.equal('email' in value, false);
    assert.deepEqual(names(schema), ['id', 'customer_id', 'status', 'region', 'total']);
  });
  it('an unknown field fails derivation; bad config names the path', async () => {
    await derivationFails([{ drop: { fields: ['nope'] } }], /no field "nope"/);
    assert.equal(configErrorOf([{ drop: { fields: ['ok', 3] } }]).path, 'steps[0].drop.fields[1]');
  });
});

describe('rename step', () => {
  it('renames fields in place, keeping the old name as an alias', async () => {
    const { value, schema } = await one([
      { rename: { fields: { customer_id: 'customer', total: 'amount' } } },
    ]);
    assert.equal(value.customer, 42);
    assert.equal(value.amount, 99.5);
    assert.deepEqual(names(schema).slice(0, 2), ['id', 'customer']);
    assert.deepEqual(schema.fields[1]!.aliases, ['customer_id']);
  });
  it('a rename onto an existing field fails derivation; bad config names the path', async () => {
    await derivationFails([{ rename: { fields: { email: 'status' } } }], /two fields named "status"/);
    assert.equal(
      configErrorOf([{ rename: { fields: { email: 'e-mail' } } }]).path,
      'steps[0].rename.fields.email',
    );
  });
});

describe('insert step', () => {
  it('adds static values and metadata as nullable fields', async () => {
    const { value, schema } = await one([
      {
        insert: {
          fields: [
            { name: 'region_code', value: 'eu-1' },
            { name: 'version', value: 3 },
            { name: 'ratio', value: 0.5 },
            { name: 'flag', value: true },
            { name: 'src_topic', from: 'topic' },
            { name: 'src_partition', from: 'partition' },
            { name: 'src_offset', from: 'offset' },
            { name: 'kafka_ts', from: 'timestamp' },
            { name: 'processed_at', from: 'now' },
          ],
        },
      },
    ]);
    assert.deepEqual(Object.fromEntries(Object.entries(value).filter(([k]) => !(k in orderRow()))), {
      region_code: 'eu-1',
      version: 3,
      ratio: 0.5,
      flag: true,
      src_topic: 'sluice.public.orders',
      src_partition: 0,
      src_offset: 10,
      kafka_ts: 1_700_000_001_000,
      processed_at: SPEC_NOW,
    });
    const byName = new Map(schema.fields.map((f) => [f.name, f]));
    assert.deepEqual(byName.get('version')!.type, ['null', 'long']);
    assert.deepEqual(byName.get('ratio')!.type, ['null', 'double']);
    assert.deepEqual(byName.get('processed_at'), {
      name: 'processed_at',
      type: ['null', { type: 'long', logicalType: 'timestamp-millis' }],
      default: null,
    });
  });
  it('a field that exists fails derivation; bad config names the path', async () => {
    await derivationFails(
      [{ insert: { fields: [{ name: 'status', value: 'x' }] } }],
      /already has a field "status"/,
    );
    assert.equal(
      configErrorOf([{ insert: { fields: [{ name: 'a', from: 'nowish' }] } }]).path,
      'steps[0].insert.fields[0]',
    );
  });
});

describe('cast step', () => {
  it('converts values and types, keeping nullability', async () => {
    const { value, schema } = await one([
      { cast: { fields: { customer_id: 'string', total: 'int', status: 'string' } } },
    ]);
    assert.equal(value.customer_id, '42');
    assert.equal(value.total, 99);
    assert.deepEqual(schema.fields.find((f) => f.name === 'customer_id')!.type, 'string');
    assert.deepEqual(schema.fields.find((f) => f.name === 'total')!.type, 'int');
  });
  it('a value that does not convert fails the record; a non-primitive field fails derivation', async () => {
    const p = pipelineWith([{ unwrap: {} }, { cast: { fields: { status: 'int' } } }]);
    await assert.rejects(
      p.process(created),
      (e: unknown) => e instanceof StepFailedError && e.code === 'CAST_FAILED',
    );
    await assert.rejects(
      pipelineWith([{ cast: { fields: { source: 'string' } } }]).process(created),
      (e: unknown) => e instanceof StepFailedError && /cannot cast "source"/.test(e.message),
    );
    assert.equal(
      configErrorOf([{ cast: { fields: { total: 'decimal' } } }]).path,
      'steps[0].cast.fields.total',
    );
  });
});

describe('convertTimestamp step', () => {
  it('converts Debezium micros to ISO text and to timestamp-millis', async () => {
    const iso = await one([{ convertTimestamp: { fields: ['created_at'], from: 'micros', to: 'iso' } }]);
    assert.equal(iso.value.created_at, '2023-11-14T22:13:20.123Z');
    assert.deepEqual(iso.schema.fields.find((f) => f.name === 'created_at')!.type, 'string');
    const ms = await one([{ convertTimestamp: { fields: ['created_at'], from: 'micros', to: 'millis' } }]);
    assert.equal(ms.value.created_at, 1_700_000_000_123);
    assert.deepEqual(ms.schema.fields.find((f) => f.name === 'created_at')!.type, {
      type: 'long',
      logicalType: 'timestamp-millis',
    });
    const days = await one([{ convertTimestamp: { fields: ['created_at'], from: 'micros', to: 'days' } }]);
    assert.equal(days.value.created_at, 19675);
  });
  it('a wrong field type fails derivation; bad text fails the record; bad config names the path', async () => {
    await derivationFails(
      [{ convertTimestamp: { fields: ['status'], from: 'millis', to: 'iso' } }],
      /"status" cannot hold millis/,
    );
    const p = pipelineWith([
      { unwrap: {} },
      { convertTimestamp: { fields: ['status'], from: 'iso', to: 'millis' } },
    ]);
    await assert.rejects(
      p.process(created),
      (e: unknown) => e instanceof StepFailedError && e.code === 'CONVERT_FAILED',
    );
    assert.equal(
      configErrorOf([{ convertTimestamp: { fields: ['a'], from: 'hours', to: 'iso' } }]).path,
      'steps[0].convertTimestamp.from',
    );
  });
});

describe('setKey step', () => {
  it('makes the key a record of value fields, named after the value namespace', async () => {
    const [out] = await pipelineWith([
      { unwrap: {} },
      { setKey: { fields: ['customer_id', 'region'] } },
    ]).process(created);
    assert.deepEqual(out!.key, { customer_id: 42, region: 'eu' });
    assert.deepEqual(schemaJson(out!.keySchema), {
      type: 'record',
      name: 'Key',
      namespace: 'sluice.public.orders',
      fields: [
        { name: 'customer_id', type: 'long' },
        { name: 'region', type: ['null', 'string'], default: null },
      ],
    });
    await assertEncodable([out!]);
    assert.deepEqual(await pipelineWith([{ setKey: { fields: ['op'] } }]).process(orderInput(null)), []);
  });
  it('an unknown field fails derivation; bad config names the path', async () => {
    await derivationFails([{ setKey: { fields: ['nope'] } }], /no field "nope"/);
    assert.equal(
      configErrorOf([{ setKey: { fields: ['id'], name: 'not a name' } }]).path,
      'steps[0].setKey.name',
    );
  });
});
