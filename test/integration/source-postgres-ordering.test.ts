// source-postgres ordering, end to end: transactions that each touch three tables arrive, in each
// table's topic, in commit order per key, the three events of one transaction sharing its txId; with
// transaction metadata on, each transaction has a BEGIN and an END on <prefix>.transaction counting
// its events per table, and each event's transaction block places it in its transaction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type SourceApp, SourceTestBed } from './source-postgres-harness';

const TRANSACTIONS = 200;
const TABLES = ['orders', 'lines', 'audit'] as const;

describe('source-postgres transactions across tables', () => {
  let bed: SourceTestBed;
  let app: SourceApp;

  before(async () => {
    bed = await SourceTestBed.open('it_src_order');
    for (const t of TABLES)
      await bed.sql(`CREATE TABLE ${bed.table(t)} (id int PRIMARY KEY, n int NOT NULL)`);
    app = await bed.startApp({ events: { transactionMetadata: true } });
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('keeps commit order within each table topic, per key', async () => {
    const client = await bed.client();
    try {
      for (let i = 1; i <= TRANSACTIONS; i++) {
        const id = i % 5;
        await client.query('BEGIN');
        // Tables touched in a different order in each transaction: order is by commit, not by table.
        for (const t of i % 2 ? TABLES : [...TABLES].reverse()) {
          await client.query(
            `INSERT INTO ${bed.table(t)} VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n`,
            [id, i],
          );
        }
        await client.query('COMMIT');
      }
    } finally {
      await client.end();
    }
    const transactionTopic = `${bed.name}.transaction`;
    const reader = await bed.consume([...TABLES.map((t) => bed.topic(t)), transactionTopic]);
    await reader.until((records) => records.length === TRANSACTIONS * (TABLES.length + 2), 90_000);

    const txOf = new Map<number, number>();
    for (const t of TABLES) {
      const records = reader.of(bed.topic(t));
      assert.equal(records.length, TRANSACTIONS);
      for (let id = 0; id < 5; id++) {
        const ofKey = records.filter((r) => r.key!.id === id);
        const ns = ofKey.map((r) => r.value!.after!.n as number);
        assert.deepEqual(
          ns,
          [...ns].sort((a, b) => a - b),
          `${t} key ${id}: commit order`,
        );
        const lsns = ofKey.map((r) => r.value!.source.lsn!);
        assert.deepEqual(
          lsns,
          [...lsns].sort((a, b) => a - b),
          `${t} key ${id}: lsn grows`,
        );
        for (const r of ofKey) {
          const n = r.value!.after!.n as number;
          const txId = r.value!.source.txId!;
          assert.equal(txOf.get(n) ?? txId, txId, `transaction ${n}: one txId in the three topics`);
          txOf.set(n, txId);
        }
      }
    }
    assert.equal(txOf.size, TRANSACTIONS);

    // Transaction metadata: BEGIN and END per transaction, with one id shared by its events.
    interface Marker {
      status: 'BEGIN' | 'END';
      id: string;
      event_count: number | null;
      data_collections: Array<{ data_collection: string; event_count: number }> | null;
    }
    const markers = reader.of(transactionTopic).map((r) => r.value as unknown as Marker);
    const begins = new Set(markers.filter((m) => m.status === 'BEGIN').map((m) => m.id));
    const ends = markers.filter((m) => m.status === 'END');
    assert.equal(begins.size, TRANSACTIONS);
    assert.equal(ends.length, TRANSACTIONS);
    for (const end of ends) {
      assert.ok(begins.has(end.id), `END ${end.id} has its BEGIN`);
      assert.equal(end.event_count, TABLES.length);
      assert.deepEqual(
        [...end.data_collections!].sort((a, b) => a.data_collection.localeCompare(b.data_collection)),
        TABLES.map((t) => ({ data_collection: bed.table(t), event_count: 1 })).sort((a, b) =>
          a.data_collection.localeCompare(b.data_collection),
        ),
      );
    }
    const orders = new Map<string, number[]>();
    for (const t of TABLES) {
      for (const r of reader.of(bed.topic(t))) {
        const block = (
          r.value as unknown as {
            transaction: { id: string; total_order: number; data_collection_order: number };
          }
        ).transaction;
        assert.ok(begins.has(block.id), `event's transaction ${block.id} has a BEGIN`);
        assert.equal(block.id.split(':')[0], String(r.value!.source.txId));
        assert.equal(block.data_collection_order, 1);
        orders.set(block.id, [...(orders.get(block.id) ?? []), block.total_order]);
      }
    }
    for (const [id, order] of orders) assert.deepEqual(order.sort(), [1, 2, 3], `transaction ${id}`);
  });
});
