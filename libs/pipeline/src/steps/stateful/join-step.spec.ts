import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAvroSchema, type RecordType } from '@sluice/schema';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import { orderEvent, orderInput, orderRow } from '../../testing/orders-fixture';
import { assertEncodable, configErrorOf, pipelineWith, schemaJson } from '../../testing/pipeline-harness';
import {
  type JoinTable,
  type JoinTableSpec,
  joinKeyText,
  type StepStartContext,
  TableRowShape,
} from './join-table';
import { type TableRow, VersionedTable } from './versioned-table';

/** A Debezium change event of `public.customers`, as the table topic's value schema. */
const CUSTOMERS = {
  type: 'record',
  name: 'Envelope',
  namespace: 'demo.demo.customers',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'name', type: 'string' },
            { name: 'tier', type: ['null', 'int'], default: null },
          ],
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
  ],
};
const shape = new TableRowShape(parseAvroSchema(JSON.stringify(CUSTOMERS)).type, 'demo.demo.customers');

/** A table over given records (key, timestamp, change event or null), as the Kafka one would apply them. */
class MemoryTable implements JoinTable {
  readonly table = new VersionedTable();
  spec?: JoinTableSpec;
  startedWith?: { inputTopics: readonly string[] };
  lookups: Array<{ key: string; partition: number; timestamp: number }> = [];
  constructor(records: Array<[unknown, number, unknown]>) {
    for (const [key, ts, value] of records) this.table.put(joinKeyText(key), ts, shape.rowOf(value));
  }
  async start(context: { inputTopics: readonly string[] }): Promise<void> {
    this.startedWith = context;
  }
  rowSchema(): RecordType {
    return shape.rowType;
  }
  async lookup(key: string, at: { partition: number; timestamp: number }): Promise<TableRow | undefined> {
    this.lookups.push({ key, ...at });
    return this.table.asOf(key, at.timestamp);
  }
  async close(): Promise<void> {}
}

const customer = (id: number, name: string, op = 'u') => ({ before: null, after: { id, name, tier: 1 }, op });

/** A pipeline over orders with a join on `table`, started as the transformer would. */
async function joinPipeline(table: MemoryTable, join: object = {}, before: unknown[] = [{ unwrap: {} }]) {
  const p = pipelineWith([
    ...before,
    {
      join: { table: 'demo.demo.customers', on: 'customer_id', as: 'customer', global: true, ...join },
    },
  ]);
  const context: StepStartContext = {
    inputTopics: ['sluice.public.orders'],
    tables: (spec) => {
      table.spec = spec;
      return table;
    },
  };
  await p.start(context);
  return p;
}

const order = (customerId: number, timestamp: number) =>
  orderInput(orderEvent('c', orderRow({ customer_id: customerId })), { timestamp });

describe('VersionedTable', () => {
  it('answers the version current at a time: the latest at or before it, deletes included', () => {
    const t = new VersionedTable();
    t.put('a', 10, { v: 1 });
    t.put('a', 30, { v: 3 });
    t.put('a', 20, { v: 2 }); // read out of time order: still a version from 20 on
    t.put('a', 40, null);
    t.put('a', 40, { v: 4 }); // equal timestamps: the one read last wins
    t.put('b', 5, null); // deleting an unknown key keeps nothing
    assert.equal(t.asOf('a', 9), undefined);
    assert.deepEqual(t.asOf('a', 10), { v: 1 });
    assert.deepEqual(t.asOf('a', 25), { v: 2 });
    assert.deepEqual(t.asOf('a', 39), { v: 3 });
    assert.deepEqual(t.asOf('a', 1_000), { v: 4 });
    assert.equal(t.asOf('b', 100), undefined);
    assert.deepEqual(t.size, { keys: 1, versions: 5 });
    t.put('a', 50, null);
    assert.equal(t.asOf('a', 60), undefined, 'deleted from 50 on');
  });
});

describe('TableRowShape and join keys', () => {
  it('unwraps a Debezium change event by key: after is the row; op d, a null after or a tombstone delete', () => {
    assert.equal(shape.rowType.fullName, 'demo.demo.customers.Value');
    assert.deepEqual(shape.rowOf(customer(1, 'Ada')), { id: 1, name: 'Ada', tier: 1 });
    assert.equal(shape.rowOf({ before: { id: 1, name: 'Ada', tier: 1 }, after: null, op: 'd' }), null);
    assert.equal(shape.rowOf(null), null);
    const plain = new TableRowShape(parseAvroSchema(JSON.stringify(CUSTOMERS.fields[0]!.type[1])).type, 't');
    assert.equal(plain.rowType.fullName, 'Value');
    assert.deepEqual(plain.rowOf({ id: 1, name: 'A', tier: null }), { id: 1, name: 'A', tier: null });
  });

  it('a one-field record key compares by its field; other values as canonical text', () => {
    assert.equal(joinKeyText({ id: 7 }), joinKeyText(7));
    assert.equal(joinKeyText(Buffer.from('k1')), 'k1');
    assert.equal(joinKeyText(7n), joinKeyText(7));
    assert.notEqual(joinKeyText({ a: 1, b: 2 }), joinKeyText(1));
  });
});

describe('join step', () => {
  it('adds the table row current at the record timestamp as an optional record field (left join)', async () => {
    const table = new MemoryTable([
      [{ id: 42 }, 1_000, customer(42, 'Ada v1', 'c')],
      [{ id: 42 }, 2_000, customer(42, 'Ada v2')],
      [{ id: 42 }, 3_000, null],
    ]);
    const p = await joinPipeline(table);
    assert.deepEqual(table.startedWith, { inputTopics: ['sluice.public.orders'] });
    assert.deepEqual(table.spec, {
      topic: 'demo.demo.customers',
      global: true,
      graceMs: 0,
      catchUpTimeoutMs: 30_000,
      label: 'steps[1].join',
    });
    const names = [];
    for (const ts of [500, 1_000, 1_999, 2_500, 3_000]) {
      const [out] = await p.process(order(42, ts));
      names.push((out!.value as { customer: { name: string } | null }).customer?.name ?? null);
      await assertEncodable([out!]);
    }
    assert.deepEqual(names, [null, 'Ada v1', 'Ada v1', 'Ada v2', null]);
    assert.deepEqual(table.lookups[0], { key: '42', partition: 0, timestamp: 500 });
    const [out] = await p.process(order(42, 2_500));
    assert.deepEqual(out!.value, { ...orderRow(), customer: { id: 42, name: 'Ada v2', tier: 1 } });
    const fields = (
      schemaJson(out!.valueSchema) as { fields: Array<{ name: string; type: unknown; default?: unknown }> }
    ).fields;
    const joined = fields.at(-1)!;
    assert.equal(joined.name, 'customer');
    assert.equal(joined.default, null);
    assert.equal((joined.type as unknown[])[0], 'null');
    assert.equal(((joined.type as unknown[])[1] as { name: string; namespace: string }).name, 'Value');
  });

  it('inner drops a record without a row; a null join key never matches', async () => {
    const table = new MemoryTable([[{ id: 42 }, 1_000, customer(42, 'Ada', 'c')]]);
    const inner = await joinPipeline(table, { type: 'inner' });
    assert.equal((await inner.process(order(42, 2_000))).length, 1);
    assert.deepEqual(await inner.process(order(5, 2_000)), []);
    const left = await joinPipeline(table, { on: 'email' });
    const [out] = await left.process(
      orderInput(orderEvent('c', orderRow({ email: null })), { timestamp: 2_000 }),
    );
    assert.equal((out!.value as { customer: unknown }).customer, null);
  });

  it('co-partitioned: joined on the record key; an on expression giving another key is refused per record', async () => {
    const table = new MemoryTable([[{ id: 7 }, 1_000, customer(7, 'Seven', 'c')]]);
    const byKey = await joinPipeline(table, { global: false, on: undefined });
    const [out] = await byKey.process(order(42, 2_000)); // key { id: 7 }
    assert.equal((out!.value as { customer: { name: string } }).customer.name, 'Seven');
    const onOther = await joinPipeline(table, { global: false });
    await assert.rejects(
      onOther.process(order(42, 2_000)),
      (e: unknown) =>
        e instanceof StepFailedError && e.code === 'NOT_COPARTITIONED' && /global: true/.test(e.message),
    );
    const onSame = await joinPipeline(table, { global: false, on: 'id' });
    assert.equal((await onSame.process(order(42, 2_000))).length, 1);
  });

  it('refuses an existing field name and a row type whose Avro names clash with the stream schema', async () => {
    const table = new MemoryTable([]);
    await assert.rejects(
      (await joinPipeline(table, { as: 'status' })).process(order(1, 1)),
      (e: unknown) => e instanceof StepFailedError && /already has a field "status"/.test(e.message),
    );
    const clashing = new MemoryTable([]);
    clashing.rowSchema = () =>
      parseAvroSchema(
        JSON.stringify({ type: 'record', name: 'Value', namespace: 'sluice.public.orders', fields: [] }),
      ).type as RecordType;
    await assert.rejects(
      (await joinPipeline(clashing)).process(order(1, 1)),
      (e: unknown) =>
        e instanceof StepFailedError && /both define sluice\.public\.orders\.Value/.test(e.message),
    );
  });

  it('outside the transformer a join cannot start; bad configuration names the YAML path', async () => {
    const p = pipelineWith([{ join: { table: 'customers', as: 'customer' } }]);
    await assert.rejects(
      p.process(order(1, 1)),
      (e: unknown) => e instanceof StepFailedError && /runs in the transformer/.test(e.message),
    );
    assert.equal(configErrorOf([{ join: { table: 'customers' } }]).path, 'steps[0].join.as');
    assert.equal(
      configErrorOf([{ join: { table: 'customers', as: 'c', type: 'outer' } }]).path,
      'steps[0].join.type',
    );
    assert.equal(
      configErrorOf([{ join: { table: 'customers', as: 'c', on: 'a ==' } }]).path,
      'steps[0].join.on',
    );
  });
});
