// source-postgres exactly once (#26) for incremental snapshots: a chunk's `op: r` events and the
// snapshot's progress commit in one Kafka transaction with the source offset, so kill -9 of the
// source while a table is snapshotted chunk by chunk neither repeats a chunk (its events were
// committed, the progress saved to the state table only after the slot's confirmation) nor skips
// one. Read committed, each row has exactly one snapshot read. One kill is made to land between a
// chunk's commit and its progress save (a row lock holds the save), the others land at random.
// Transaction metadata follows the same rule: across kills and a replay of every transaction (the
// slot put back to before them), each transaction's BEGIN and END once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { readCommitted, stackAddresses } from '@sluice/test-support';
import { freePort, getStatus, post, SourceTestBed } from './source-postgres-harness';

const ROWS = 4000;
const CHUNK = 50;
const KILLS = 4;

/**
 * Waits until the source's save of its incremental snapshot progress waits on the row lock this
 * test holds on the state table (the save runs on the snapshot's own connection).
 */
async function untilProgressSaveWaits(bed: SourceTestBed): Promise<void> {
  await bed.waitFor(
    async () => {
      const [waiting] = await bed.sql<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_stat_activity
          WHERE application_name = 'sluice-incremental-snapshot' AND wait_event_type = 'Lock'
            AND query LIKE 'UPDATE %' AND query LIKE '%' || $1 || '%'`,
        [bed.name],
      );
      return waiting.n !== '0';
    },
    60_000,
    'the progress save to wait on the state table lock',
  );
}

describe('source-postgres exactly once: kill -9 during an incremental snapshot', () => {
  let bed: SourceTestBed;

  before(async () => {
    bed = await SourceTestBed.open('it_src_eos_incr');
    await bed.sql(
      `CREATE TABLE ${bed.table('big')} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, pad text)`,
    );
    await bed.sql(
      `INSERT INTO ${bed.table('big')} SELECT g, 0, repeat('x', 100) FROM generate_series(1, ${ROWS}) g`,
    );
  });

  after(async () => {
    await bed?.cleanup();
  });

  it(
    `reads each row once across up to ${KILLS} kills mid-snapshot (the first two certain)`,
    { timeout: 240_000 },
    async () => {
      const big = bed.table('big');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const file = bed.configFile(
        bed.config({
          http: { host: '127.0.0.1', port },
          snapshot: { mode: 'never', incrementalChunkSize: CHUNK },
          signals: { table: bed.table('sluice_signals') },
          logging: { level: 'info' },
        }),
      );
      let running = bed.spawnMain(file);
      const processes = [running];
      await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      assert.equal((await post(`${url}/snapshots`, { tables: [big] })).status, 202);
      // Read committed (kafkajs's default), from the beginning, across the kills.
      const reader = await bed.consume([bed.topic('big')]);
      const reads = () => reader.of(bed.topic('big')).filter((r) => r.value?.op === 'r');

      let kills = 0;
      for (let kill = 1; kill <= KILLS; kill++) {
        // Each kill lands while chunks are being read and committed: after a share of the rows is in
        // (the last at about 57 %, so that the source, ahead of the reader, has chunks left to read).
        const target = (ROWS * kill) / (KILLS + 3);
        await reader.until(() => reads().length >= target, 120_000);
        // The first kill lands for certain between a chunk's Kafka commit and the save of its progress
        // to the state table: that save is held by a row lock (it is made only once the slot is
        // confirmed past the chunk, which is after its Kafka commit), so the snapshot stops there.
        const locker = kill === 1 ? await bed.client() : undefined;
        try {
          if (locker !== undefined) {
            await locker.query('BEGIN');
            await locker.query(`SELECT * FROM ${bed.name}.sluice_incremental_snapshot FOR UPDATE`);
            await untilProgressSaveWaits(bed);
          } else await new Promise((r) => setTimeout(r, Math.random() * 50));
          const status = await getStatus(url);
          if (status.snapshot?.kind !== 'incremental') {
            // The source read the rest before the reader caught up: a kill now is not mid-snapshot.
            assert.ok(kill > 2, `kill ${kill} lands mid-snapshot: the snapshot ended before it`);
            break;
          }
          await bed.kill(running.child, 'SIGKILL');
          kills += 1;
        } finally {
          // Never left open: a transaction held open keeps every new replication slot in the
          // cluster waiting (other suites' too), and the schema could not be dropped.
          if (locker !== undefined) await locker.end();
        }
        running = bed.spawnMain(file);
        processes.push(running);
        await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      }
      await bed.waitForStatus(url, (s) => s.snapshot === undefined, 120_000);
      await reader.until(() => new Set(reads().map((r) => r.key!.id)).size === ROWS, 60_000);
      // A moment for anything published twice to arrive too.
      await new Promise((r) => setTimeout(r, 1500));

      const count = new Map<number, number>();
      for (const r of reads()) count.set(Number(r.key!.id), (count.get(Number(r.key!.id)) ?? 0) + 1);
      const twice = [...count].filter(([, n]) => n > 1);
      const resumed = processes
        .map((p) => (p.output().match(/incremental snapshot resumed/g) ?? []).length)
        .reduce((a, b) => a + b, 0);
      console.log(
        `exactly-once incremental snapshot: ${reads().length} reads of ${ROWS} rows, ${kills} kills, ` +
          `${resumed} resumed snapshots, ${twice.length} rows read twice`,
      );
      assert.deepEqual(twice.slice(0, 10), [], `${twice.length} rows read more than once (id, reads)`);
      assert.equal(count.size, ROWS, 'every row read');
      assert.equal(reads().length, ROWS);
      const [left] = await bed.sql<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${bed.name}.sluice_incremental_snapshot WHERE source = $1`,
        [bed.name],
      );
      assert.equal(left.n, '0', 'the finished table leaves no progress row');
      await bed.kill(running.child, 'SIGTERM');
    },
  );
});

describe('source-postgres exactly once: transaction metadata across kill -9', () => {
  let bed: SourceTestBed;

  before(async () => {
    bed = await SourceTestBed.open('it_src_eos_txmeta');
    await bed.sql(`CREATE TABLE ${bed.table('pairs')} (id int PRIMARY KEY, v int NOT NULL)`);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it(
    "publishes each transaction's BEGIN and END once, and each change once",
    { timeout: 180_000 },
    async () => {
      const pairs = bed.table('pairs');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const file = bed.configFile(
        bed.config({
          http: { host: '127.0.0.1', port },
          snapshot: { mode: 'never' },
          events: { transactionMetadata: true },
          logging: { level: 'info' },
        }),
      );
      const backup = `${bed.slot}_behind`;
      bed.trackSlot(backup);
      const slotReleased = () =>
        bed.waitFor(
          async () =>
            (
              await bed.sql<{ active_pid: number | null }>(
                'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
                [bed.slot],
              )
            )[0]?.active_pid === null || undefined,
          15_000,
          'the slot released',
        );
      let running = bed.spawnMain(file);
      await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      // The slot before any change, kept aside: put back at the end, it replays every transaction
      // below, which Kafka already holds (what a crash between a commit and the slot's confirmation
      // leaves, at its widest).
      await bed.kill(running.child, 'SIGKILL');
      await slotReleased();
      await bed.sql('SELECT pg_copy_logical_replication_slot($1, $2)', [bed.slot, backup]);
      running = bed.spawnMain(file);
      await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      // Two-row transactions, a few hundred a second, while the source is killed twice.
      const writer = await bed.client();
      let writing = true;
      let transactions = 0;
      const writes = (async () => {
        while (writing) {
          const id = 2 * transactions;
          await writer.query(`INSERT INTO ${pairs} VALUES ($1, 0), ($2, 0)`, [id, id + 1]);
          transactions++;
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      for (let kill = 1; kill <= 2; kill++) {
        await new Promise((r) => setTimeout(r, 1000));
        // A backlog drains when the kill lands: batches and commits are in flight.
        assert.ok((await post(`${url}/pause`)).status < 300);
        await new Promise((r) => setTimeout(r, 1000));
        assert.ok((await post(`${url}/resume`)).status < 300);
        await new Promise((r) => setTimeout(r, Math.random() * 40));
        await bed.kill(running.child, 'SIGKILL');
        running = bed.spawnMain(file);
        await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      }
      writing = false;
      await writes;
      await bed.kill(running.child, 'SIGTERM');
      await slotReleased();
      await bed.sql('SELECT pg_drop_replication_slot($1)', [bed.slot]);
      await bed.sql('SELECT pg_copy_logical_replication_slot($1, $2)', [backup, bed.slot]);
      running = bed.spawnMain(file);
      await bed.waitForStatus(url, (s) => s.phase === 'streaming', 90_000);
      // After the replay in the WAL: once these are in, the replay was handled.
      for (let i = 0; i < 10; i++, transactions++)
        await writer.query(`INSERT INTO ${pairs} VALUES ($1, 0), ($2, 0)`, [
          2 * transactions,
          2 * transactions + 1,
        ]);
      await writer.end();

      const decoder = new RecordDecoder(
        new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl }),
      );
      const decode = async (bytes: Buffer | null) =>
        bytes === null
          ? null
          : (structuredClone((await decoder.decode(bytes)).value) as Record<string, unknown>);
      const metadata = new Map<string, string[]>();
      const changes = new Map<string, number>();
      await bed.waitFor(
        async () => {
          metadata.clear();
          changes.clear();
          for (const records of (await readCommitted(bed.kafka, `${bed.name}.transaction`)).values())
            for (const r of records) {
              const value = (await decode(r.value))!;
              const id = String(value.id);
              metadata.set(id, [...(metadata.get(id) ?? []), String(value.status)]);
            }
          for (const records of (await readCommitted(bed.kafka, bed.topic('pairs'))).values())
            for (const r of records) {
              const value = (await decode(r.value)) as { source: { lsn: unknown } } | null;
              if (value === null) continue;
              const at = `${String(value.source.lsn)}|${JSON.stringify(await decode(r.key))}`;
              changes.set(at, (changes.get(at) ?? 0) + 1);
            }
          return (changes.size === 2 * transactions && metadata.size === transactions) || undefined;
        },
        60_000,
        `${transactions} transactions in both topics`,
      );
      const wrong = [...metadata].filter(([, statuses]) => statuses.join() !== 'BEGIN,END');
      const twice = [...changes].filter(([, n]) => n > 1);
      console.log(
        `exactly-once transaction metadata: ${transactions} transactions, 2 kills and a replay from an old slot, ` +
          `${wrong.length} with other than one BEGIN and one END, ${twice.length} changes twice`,
      );
      assert.deepEqual(wrong.slice(0, 5), [], 'each transaction: one BEGIN, then one END');
      assert.deepEqual(twice.slice(0, 5), [], 'each change once');
      assert.match(running.output(), /dropping replayed transactions already committed to Kafka/);
      await bed.kill(running.child, 'SIGTERM');
    },
  );
});
