// Conflict rules with produced Debezium events: field-level merge writes only the columns an update
// changed (another system's write to a different column survives); an event older than the row's
// position is overruled, recorded in sluice_conflicts, and never applied, also for deletes and
// inserts of a deleted key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer } from '@sluice/kafka';
import { RecordEncoder } from '@sluice/schema';
import { envelopeSchema, keySchema, type OrderRow, registry } from '../transformer/transformer-harness';
import { SinkTestBed, type SpawnedApp } from './sink-postgres-harness';

interface Event {
  op: 'c' | 'u' | 'd' | 't';
  before: OrderRow | null;
  after: OrderRow | null;
  lsn: number;
}

describe('sink-postgres conflict rules', { timeout: 180_000 }, () => {
  let bed: SinkTestBed;
  let sink: SpawnedApp;
  let topic: string;
  const encoder = new RecordEncoder(registry);

  const produce = async (events: Event[]) => {
    const producer = createProducer(bed.source.kafka);
    await producer.connect();
    const messages = [];
    for (const e of events) {
      const row = e.after ?? e.before;
      messages.push({
        key: row ? await encoder.encode(`${topic}-key`, keySchema(bed.name), { id: row.id }) : null,
        value: await encoder.encode(`${topic}-value`, envelopeSchema(bed.name), {
          before: e.before,
          after: e.after,
          source: {
            version: '2.7.0',
            connector: 'postgresql',
            name: 'sluice',
            ts_ms: 1_700_000_000_000 + e.lsn,
            db: 'source',
            schema: 'public',
            table: 'orders',
            lsn: e.lsn,
          },
          op: e.op,
          ts_ms: 1_700_000_000_000 + e.lsn,
        }),
      });
    }
    await producer.send({ topic, messages });
    await producer.disconnect();
  };
  const rows = () =>
    bed.sinkSql<OrderRow>(`SELECT id::int, email, region, total FROM ${bed.name}.orders ORDER BY id`);
  const settled = (applied: number) =>
    bed.waitForStatus(sink, (s) => s.rowsUpserted + s.rowsDeleted + s.conflicts >= applied);

  before(async () => {
    bed = await SinkTestBed.open('it_sinkpg_merge');
    topic = `${bed.name}.public.orders`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    await produce([
      { op: 'c', before: null, after: { id: 1, email: 'a@x', region: 'eu', total: 1 }, lsn: 100 },
      { op: 'c', before: null, after: { id: 2, email: 'b@x', region: 'us', total: 2 }, lsn: 101 },
    ]);
    sink = await bed.spawnSink(bed.sinkConfig({ topics: [topic], merge: true }));
    await settled(2);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('merge: an update writes only the columns it changed; another writer’s column survives', async () => {
    // Another system changes the region of row 1 in the target.
    await bed.sinkSql(`UPDATE ${bed.name}.orders SET region = 'apac' WHERE id = 1`);
    await produce([
      {
        op: 'u',
        before: { id: 1, email: 'a@x', region: 'eu', total: 1 },
        after: { id: 1, email: 'a2@x', region: 'eu', total: 1 },
        lsn: 200,
      },
    ]);
    await settled(3);
    assert.deepEqual((await rows())[0], { id: 1, email: 'a2@x', region: 'apac', total: 1 });
  });

  it('lww: older updates, deletes and re-inserts are overruled and recorded, never applied', async () => {
    await produce([
      { op: 'd', before: { id: 2, email: 'b@x', region: 'us', total: 2 }, after: null, lsn: 300 },
      // Older than the row 1 state (200): overruled.
      {
        op: 'u',
        before: { id: 1, email: 'a@x', region: 'eu', total: 1 },
        after: { id: 1, email: 'old@x', region: 'eu', total: 9 },
        lsn: 150,
      },
      // Row 2 was deleted at 300: an insert from 250, replayed, must not bring it back.
      { op: 'c', before: null, after: { id: 2, email: 'b-old@x', region: 'us', total: 2 }, lsn: 250 },
    ]);
    await settled(6);
    assert.deepEqual(await rows(), [{ id: 1, email: 'a2@x', region: 'apac', total: 1 }]);
    const conflicts = await bed.sinkSql<{
      key: string;
      op: string;
      incoming_lsn: string;
      current_lsn: string;
      rejected: { email: string };
    }>(
      `SELECT row_key->>'id' AS key, op, incoming_lsn, current_lsn, rejected FROM ${bed.name}.sluice_conflicts ORDER BY row_key->>'id'`,
    );
    assert.deepEqual(
      conflicts.map((c) => [c.key, c.op, c.incoming_lsn, c.current_lsn, c.rejected.email]),
      [
        ['1', 'u', '150', '200', 'old@x'],
        ['2', 'c', '250', '300', 'b-old@x'],
      ],
    );
  });

  it('truncate (op t, no key) deletes the rows not newer than it; later inserts apply', async () => {
    await produce([
      { op: 'c', before: null, after: { id: 3, email: 'c@x', region: 'eu', total: 3 }, lsn: 350 },
      { op: 't', before: null, after: null, lsn: 400 },
      { op: 'c', before: null, after: { id: 4, email: 'd@x', region: 'ca', total: 4 }, lsn: 500 },
    ]);
    await bed.source.waitFor(
      async () =>
        JSON.stringify(await rows()) === JSON.stringify([{ id: 4, email: 'd@x', region: 'ca', total: 4 }]) ||
        undefined,
      60_000,
      'truncate applied',
    );
  });

  it('unwrapped rows from the transformer: __deleted deletes, __lsn orders (LWW), metadata is no column', async () => {
    const flat = `${bed.name}.flat`;
    const admin = bed.source.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: flat, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const schema = JSON.stringify({
      type: 'record',
      name: 'Flat',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'email', type: ['null', 'string'], default: null },
        { name: '__op', type: ['null', 'string'], default: null },
        { name: '__lsn', type: ['null', 'long'], default: null },
        { name: '__source_ts_ms', type: ['null', 'long'], default: null },
        { name: '__deleted', type: ['null', 'string'], default: null },
      ],
    });
    const message = async (id: number, email: string, lsn: number, op: string, deleted = 'false') => ({
      key: await encoder.encode(`${flat}-key`, keySchema(bed.name), { id }),
      value: await encoder.encode(`${flat}-value`, schema, {
        id,
        email,
        __op: op,
        __lsn: lsn,
        __source_ts_ms: 1_700_000_000_000 + lsn,
        __deleted: deleted,
      }),
    });
    const producer = createProducer(bed.source.kafka);
    await producer.connect();
    await producer.send({
      topic: flat,
      messages: [
        await message(1, 'new@x', 20, 'c'),
        await message(1, 'old@x', 10, 'u'),
        await message(2, 'gone@x', 30, 'c'),
        await message(2, 'gone@x', 40, 'd', 'true'),
      ],
    });
    await producer.disconnect();
    const flatSink = await bed.spawnSink(bed.sinkConfig({ topics: [flat], group: `${bed.name}.flat` }));
    await bed.waitForStatus(flatSink, (s) => s.batchesCommitted > 0 && s.conflicts >= 1);
    assert.deepEqual(await bed.sinkSql(`SELECT id::int, email FROM ${bed.name}.flat ORDER BY id`), [
      { id: 1, email: 'new@x' },
    ]);
    const columns = await bed.sinkSql<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'flat' ORDER BY ordinal_position`,
      [bed.name],
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['id', 'email', '__sluice_lsn', '__sluice_ts_ms'],
    );
  });
});
