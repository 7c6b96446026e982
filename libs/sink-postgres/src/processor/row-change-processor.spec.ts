import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySchemaRegistry, RecordDecoder, RecordEncoder } from '@sluice/schema';
import { inStage, type ProcessContext, StageFailure, type StreamRecord } from '@sluice/stream';
import { type TargetTable } from '../plan/row-change';
import { SchemaPlans } from '../plan/schema-plans';
import { type TableShaper } from '../target/table-shaper';
import { RowChangeProcessor } from './row-change-processor';

const KEY = JSON.stringify({ type: 'record', name: 'Key', fields: [{ name: 'id', type: 'long' }] });
const ROW = {
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
  ],
};
const ENVELOPE = JSON.stringify({
  type: 'record',
  name: 'Envelope',
  fields: [
    { name: 'before', type: ['null', ROW], default: null },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
  ],
});
const USERS = { schema: 'public', name: 'users', options: { history: false, merge: false } };
const ctx: ProcessContext = { signal: new AbortController().signal, attempt: 1, stage: inStage };

/** A shaper whose tables fit once their first shaping resolved (counts the shapings). */
function shaperFake() {
  const fitting = new Set<TargetTable>();
  const fake = {
    shapings: 0,
    ensure(table: TargetTable): Promise<void> | undefined {
      if (fitting.has(table)) return undefined;
      fake.shapings++;
      return Promise.resolve().then(() => void fitting.add(table));
    },
    exists: async () => true,
  };
  return fake;
}

async function setup() {
  const registry = new InMemorySchemaRegistry();
  const encoder = new RecordEncoder(registry);
  const shaper = shaperFake();
  const processor = new RowChangeProcessor({
    decoder: new RecordDecoder(registry),
    plans: new SchemaPlans(registry),
    shaper: shaper as unknown as TableShaper,
    route: () => USERS, // routes are made once per topic
  });
  const record = async (id: number, name: string, offset = id): Promise<StreamRecord> => ({
    topic: 'db.public.users',
    partition: 0,
    offset: BigInt(offset),
    key: await encoder.encode('db.public.users-key', KEY, { id }),
    value: await encoder.encode('db.public.users-value', ENVELOPE, {
      before: null,
      after: { id, name },
      op: 'c',
    }),
    headers: [],
    timestamp: '1700000000000',
  });
  return { registry, shaper, processor, record };
}

describe('RowChangeProcessor', () => {
  it('turns an envelope into an upsert; after the first record, neither the registry nor the shaper is asked again', async () => {
    const { registry, shaper, processor, record } = await setup();
    const [first] = await processor.process(await record(1, 'ada'), ctx);
    assert.equal(first!.kind, 'upsert');
    assert.deepEqual(first!.key, ['1']);
    assert.deepEqual(first!.values, ['1', 'ada']);
    const calls = { ...registry.calls };
    const [second] = await processor.process(await record(2, 'bob'), ctx);
    assert.deepEqual(second!.values, ['2', 'bob']);
    assert.equal(second!.table, first!.table, 'one table version object for one schema pair');
    assert.deepEqual(registry.calls, calls, 'no registry call once the schemas are known');
    assert.equal(shaper.shapings, 1, 'the table version is shaped once');
  });

  it('names the converter that failed: undecodable key or value bytes', async () => {
    const { processor, record } = await setup();
    const good = await record(1, 'ada');
    await processor.process(good, ctx);
    const failedIn = (stage: string) => (error: unknown) =>
      error instanceof StageFailure && error.stage === stage && error.className === 'RecordDecoder';
    await assert.rejects(
      processor.process({ ...good, key: Buffer.from([0, 0, 0, 0, 1, 0xff]) }, ctx),
      failedIn('KEY_CONVERTER'),
    );
    await assert.rejects(
      processor.process({ ...good, value: Buffer.from('junk') }, ctx),
      failedIn('VALUE_CONVERTER'),
    );
  });
});
