// SnapshotReader, incremental-snapshot watermarks, the signal table and heartbeats against the
// stack's Postgres, with real slots (always dropped afterwards).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Heartbeat,
  type InsertMessage,
  isHeartbeat,
  Lsn,
  PostgresSession,
  ReplicationConnection,
  type ReplicationStream,
  SignalTable,
  SnapshotReader,
  type SnapshotProgressView,
  SnapshotWindow,
  type UpdateMessage,
  WatermarkedChunkReader,
  readWatermark,
  describeTable,
} from '@sluice/postgres-cdc';
import { CdcTestDatabase, take } from './postgres-cdc-harness';

describe('snapshot and heartbeat against real Postgres', () => {
  let db: CdcTestDatabase;

  before(async () => {
    db = await CdcTestDatabase.open('pgcdc_snap');
  });
  after(async () => db.cleanup());

  const table = (name: string) => ({ schema: 'public', table: name });

  async function changesUntil(
    stream: ReplicationStream,
    done: (seen: string[]) => boolean,
  ): Promise<string[]> {
    const seen: string[] = [];
    while (!done(seen)) {
      const [{ message }] = await take(stream, 1);
      if (message.type === 'insert') seen.push(`insert ${message.newValues[0] as string}`);
      if (message.type === 'update') seen.push(`update ${(message as UpdateMessage).newValues[0] as string}`);
    }
    return seen;
  }

  it('hands off from the exported snapshot to the stream with no gap and no overlap', async () => {
    const name = db.table('handoff');
    const publication = db.publication('handoff');
    const slot = db.slot('handoff');
    await db.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v text)`);
    await db.query(`INSERT INTO ${name} SELECT g, 'before' FROM generate_series(1, 100) g`);
    await db.query(`CREATE PUBLICATION ${publication} FOR TABLE ${name}`);

    const replication = await ReplicationConnection.connect(db.connectionOptions());
    const created = await replication.createSlot(slot);
    assert.ok(created.snapshotName && created.consistentPoint.isValid);
    const reader = await SnapshotReader.open(db.connectionOptions(), created.snapshotName);
    // Written after the slot's consistent point, while the snapshot is being read.
    await db.query(`INSERT INTO ${name} SELECT g, 'after' FROM generate_series(101, 110) g`);
    await db.query(`UPDATE ${name} SET v = 'changed' WHERE id = 1`);
    const snapshotRows: (string | null)[][] = [];
    try {
      const described = await reader.describe(table(name));
      for await (const chunk of reader.read(described, { chunkSize: 30 })) snapshotRows.push(...chunk.rows);
    } finally {
      await reader.close();
    }
    assert.deepEqual(
      snapshotRows.map((r) => r[0]),
      Array.from({ length: 100 }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(snapshotRows[0], ['1', 'before']);

    const stream = await replication.startReplication({ slot, publications: [publication] });
    try {
      const seen = await changesUntil(stream, (s) => s.length === 11);
      assert.deepEqual(seen, [...Array.from({ length: 10 }, (_, i) => `insert ${101 + i}`), 'update 1']);
      // Nothing else (no snapshot row streamed again): the next change is a new one.
      await db.query(`INSERT INTO ${name} VALUES (999, 'marker')`);
      assert.deepEqual(await changesUntil(stream, (s) => s.length === 1), ['insert 999']);
    } finally {
      await stream.stop();
    }
  });

  it('reads 20,000 rows in key-ordered chunks as text, with progress, and keyless tables by ctid', async () => {
    const name = db.table('big');
    const keyless = db.table('nokey');
    await db.query(`CREATE TABLE ${name} (a int, b text, payload bytea, at timestamptz, PRIMARY KEY (a, b))`);
    await db.query(
      `INSERT INTO ${name} SELECT g / 2, 'k' || (g % 2), '\\xdeadbeef'::bytea, '2024-01-02 03:04:05+00' FROM generate_series(0, 19999) g`,
    );
    await db.query(`CREATE TABLE ${keyless} (v int)`);
    await db.query(`INSERT INTO ${keyless} SELECT generate_series(1, 2500)`);
    await db.query(`ANALYZE ${name}`);
    const reader = await SnapshotReader.open(db.connectionOptions(), undefined);
    const views: SnapshotProgressView[] = [];
    reader.progress.onChange((view) => views.push(view));
    try {
      const described = await reader.describe(table(name));
      assert.deepEqual(
        described.pageKey.map((c) => c.name),
        ['a', 'b'],
      );
      let rows = 0;
      let chunks = 0;
      let previous: string | undefined;
      for await (const chunk of reader.read(described, { chunkSize: 3000 })) {
        chunks++;
        for (const row of chunk.rows) {
          const key = `${row[0]!.padStart(6, '0')}/${row[1]}`;
          assert.ok(previous === undefined || key > previous, `${key} after ${previous}`);
          previous = key;
        }
        rows += chunk.rows.length;
      }
      assert.equal(rows, 20_000);
      assert.equal(chunks, 7);
      const last = views[views.length - 1];
      assert.equal(last.rowsDone, 20_000);
      assert.deepEqual(
        last.tables.map((t) => [t.rowsDone, t.rowsTotal, t.done]),
        [[20_000, 20_000, true]],
      );
      assert.ok(views.some((v) => v.rowsDone === 9000 && v.etaSeconds !== undefined));

      const [first] = (await reader.read(described, { chunkSize: 1 }).next()).value!.rows;
      assert.deepEqual(first, ['0', 'k0', '\\xdeadbeef', '2024-01-02 03:04:05+00']);

      const nokey = await reader.describe(table(keyless), { exactCount: true });
      let keylessRows = 0;
      for await (const chunk of reader.read(nokey, { chunkSize: 1000 })) {
        keylessRows += chunk.rows.length;
        assert.equal(chunk.rows[0].length, 1, 'the paging ctid is not part of the row');
      }
      assert.equal(keylessRows, 2500);
    } finally {
      await reader.close();
    }
  });

  it('brackets an incremental chunk with watermarks the stream delivers in order, and reads signals', async () => {
    const name = db.table('incr');
    const signals = db.table('signal');
    const publication = db.publication('incr');
    const slot = db.slot('incr');
    await db.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v text)`);
    await db.query(`INSERT INTO ${name} SELECT g, 'v' FROM generate_series(1, 10) g`);
    const session = await PostgresSession.connect(db.connectionOptions());
    const signalTable = new SignalTable(table(signals));
    await signalTable.create(session);
    await db.query(`CREATE PUBLICATION ${publication} FOR TABLE ${name}, ${signals}`);
    const replication = await ReplicationConnection.connect(db.connectionOptions());
    await replication.createSlot(slot, { exportSnapshot: false });
    const stream = await replication.startReplication({ slot, publications: [publication] });
    try {
      await db.query(`INSERT INTO ${signals} VALUES ('sig-1', 'execute-snapshot', $1)`, [
        JSON.stringify({ 'data-collections': [`public.${name}`], type: 'incremental' }),
      ]);
      let insert: InsertMessage | undefined;
      let insertLsn: Lsn | undefined;
      while (insert === undefined) {
        const [{ lsn, message }] = await take(stream, 1);
        if (message.type === 'insert') [insert, insertLsn] = [message, lsn];
      }
      assert.ok(signalTable.matches(insert.relation));
      assert.deepEqual(signalTable.parse(insert), {
        id: 'sig-1',
        type: 'execute-snapshot',
        dataCollections: [`public.${name}`],
        snapshotType: 'incremental',
      });

      const described = await describeTable(session, table(name));
      const chunk = await new WatermarkedChunkReader(session).readChunk(described, ['4'], 3);
      assert.deepEqual(
        chunk.rows.map((r) => r[0]),
        ['5', '6', '7'],
      );
      assert.deepEqual(chunk.lastKey, ['7']);
      assert.ok(chunk.highWatermark.isAfter(insertLsn!), 'the high watermark follows the read');
      await db.query(`UPDATE ${name} SET v = 'later' WHERE id = 6`); // after the window: no effect on it
      const window = new SnapshotWindow(chunk);
      let emitted: readonly (string | null)[][] | undefined;
      const edges: string[] = [];
      while (emitted === undefined) {
        const [{ message }] = await take(stream, 1);
        const watermark = readWatermark(message);
        if (watermark) edges.push(watermark.edge);
        emitted = window.observe(message);
      }
      assert.deepEqual(edges, ['high']);
      assert.deepEqual(
        emitted.map((r) => r[0]),
        ['5', '6', '7'],
      );
    } finally {
      await stream.stop();
      await session.close();
    }
  });

  it('heartbeats advance the slot while the captured tables are idle', async () => {
    const name = db.table('idle');
    const publication = db.publication('idle');
    const slot = db.slot('idle');
    await db.query(`CREATE TABLE ${name} (id int PRIMARY KEY)`);
    await db.query(`CREATE PUBLICATION ${publication} FOR TABLE ${name}`);
    const replication = await ReplicationConnection.connect(db.connectionOptions());
    await replication.createSlot(slot, { exportSnapshot: false });
    const before = (await db.confirmedFlush(slot))!;
    const stream = await replication.startReplication({ slot, publications: [publication] });
    const session = await PostgresSession.connect(db.connectionOptions());
    const heartbeat = new Heartbeat(session, { intervalMs: 100 });
    heartbeat.start();
    try {
      let beatLsn = Lsn.INVALID;
      while (!beatLsn.isValid) {
        const [{ message }] = await take(stream, 1);
        if (message.type === 'message' && isHeartbeat(message)) beatLsn = message.lsn;
      }
      // Nothing pending: the source acknowledges the heartbeat's position.
      stream.acknowledge(beatLsn);
      await db.waitFor(async () => (await db.confirmedFlush(slot))?.equals(beatLsn));
      assert.ok(beatLsn.isAfter(before));
      assert.ok(heartbeat.count >= 1);
    } finally {
      await heartbeat.stop();
      await session.close();
      await stream.stop();
    }
  });
});
