// Incremental snapshots on request (Debezium's execute-snapshot signal, `POST /snapshots`, `sluice
// snapshot --table`): rows are read again chunk by chunk between WAL watermarks while writes go on,
// no key's events are ever reordered, progress survives a restart, and bad requests or signals get
// a clear answer without stopping the stream.
import { execFile } from 'node:child_process';
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { getStatus, post, SLUICE_BIN, SourceTestBed, type TopicRecord } from './source-postgres-harness';

/** `v` of the row an event leaves behind (undefined for deletes and tombstones). */
const versionOf = (record: TopicRecord): number | undefined =>
  record.value?.after ? Number(record.value.after.v) : undefined;

/**
 * Checks that no key's events go back in time: a snapshot read never brings back a deleted row nor
 * an older `v` than an event before it. Returns the number of snapshot reads.
 */
function assertNeverReordered(records: readonly TopicRecord[]): number {
  const idOf = (r: TopicRecord) => String(r.key!.id);
  const byKey = new Map<string, TopicRecord[]>();
  for (const record of records) byKey.set(idOf(record), [...(byKey.get(idOf(record)) ?? []), record]);
  let snapshotReads = 0;
  for (const [id, events] of byKey) {
    let highest = 0;
    let deleted = false;
    for (const event of events) {
      if (event.value === null) continue;
      const { op } = event.value;
      if (op === 'd') {
        deleted = true;
        continue;
      }
      const v = versionOf(event)!;
      if (op === 'r') {
        snapshotReads += 1;
        assert.equal(event.value.source.snapshot, 'incremental');
        assert.ok(!deleted, `key ${id}: a snapshot read after its delete`);
      } else deleted = false;
      const ops = events.map((e) => `${e.value?.op ?? 'tombstone'}:${e.value ? versionOf(e) : '-'}`);
      assert.ok(v >= highest, `key ${id}: v ${v} after ${highest} (${ops.join(' ')})`);
      highest = v;
    }
  }
  return snapshotReads;
}

describe('source-postgres: incremental snapshot', () => {
  let bed: SourceTestBed;
  before(async () => {
    bed = await SourceTestBed.open('it_src_incr');
  });
  after(() => bed.cleanup());

  /** `name` with rows 1..`rows`, its `v` from one sequence: every write makes a key's `v` larger. */
  const versionedTable = async (name: string, rows: number): Promise<string> => {
    const table = bed.table(name);
    await bed.sql(`CREATE SEQUENCE ${bed.name}.${name}_versions`);
    await bed.sql(
      `CREATE TABLE ${table} (id int PRIMARY KEY, v bigint NOT NULL DEFAULT nextval('${bed.name}.${name}_versions'))`,
    );
    await bed.sql(`INSERT INTO ${table} (id) SELECT g FROM generate_series(1, ${rows}) g`);
    return table;
  };

  /** A source with a signal table, streaming, that reads incremental chunks of `chunkSize`. */
  const streamingSource = async (t: TestContext, chunkSize: number, overrides: object = {}) => {
    const app = await bed.startApp({
      snapshot: { mode: 'never', incrementalChunkSize: chunkSize },
      signals: { table: bed.table('sluice_signals') },
      ...overrides,
    });
    t.after(() => bed.stopApp(app));
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    return app;
  };

  it(
    'snapshots a table on request while writes go on, never reordering a key',
    { timeout: 240_000 },
    async (t) => {
      const items = bed.table('items');
      // `v` comes from one sequence: every write makes a key's `v` larger, so the events of a key,
      // in order, must never show a smaller `v` after a larger one.
      await bed.sql(`CREATE SEQUENCE ${bed.name}.versions`);
      await bed.sql(
        `CREATE TABLE ${items} (id int PRIMARY KEY, v bigint NOT NULL DEFAULT nextval('${bed.name}.versions'), note text)`,
      );
      await bed.sql(`INSERT INTO ${items} (id, note) SELECT g, 'row ' || g FROM generate_series(1, 4000) g`);
      const app = await streamingSource(t, 250);

      const writer = await bed.client();
      let writing = true;
      const writes = (async () => {
        let n = 0;
        while (writing) {
          const id = 1 + Math.floor(Math.random() * 4500);
          const pick = n++ % 10;
          if (pick < 6)
            await writer.query(`UPDATE ${items} SET v = nextval('${bed.name}.versions') WHERE id = $1`, [id]);
          else if (pick < 8) await writer.query(`DELETE FROM ${items} WHERE id = $1`, [id]);
          else
            await writer.query(
              `INSERT INTO ${items} (id, note) VALUES ($1, 'new') ON CONFLICT (id) DO UPDATE SET v = nextval('${bed.name}.versions')`,
              [id],
            );
          await new Promise((r) => setTimeout(r, 2));
        }
      })();

      const reader = await bed.consume([bed.topic('items')]);
      const asked = await post(`${app.url}/snapshots`, { tables: [items] });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const running = await bed.waitForStatus(app.url, (s) => s.snapshot?.kind === 'incremental', 30_000);
      assert.deepEqual(running.snapshot?.queuedTables, [items]);
      await bed.waitForStatus(
        app.url,
        (s) =>
          s.snapshot === undefined && reader.records.some((r) => r.value?.source.snapshot === 'incremental'),
        180_000,
      );
      writing = false;
      await writes;
      await writer.end();

      const rows = await bed.sql<{ id: number; v: string }>(`SELECT id, v::text AS v FROM ${items}`);
      const idOf = (r: TopicRecord) => String(r.key!.id);
      /** The rows whose last event is missing or shows another version than the table. */
      const behind = (records: readonly TopicRecord[]) => {
        const last = new Map<string, TopicRecord>();
        for (const r of records) if (r.value !== null) last.set(idOf(r), r);
        return rows.filter((row) => {
          const event = last.get(String(row.id));
          return event === undefined || versionOf(event) !== Number(row.v);
        });
      };
      await reader
        .until((records) => behind(records).length === 0, 90_000)
        .catch((error: Error) => {
          // Say which rows, so a failure tells a late stream from a lost event.
          const rowsBehind = behind(reader.records);
          const sample = rowsBehind.slice(0, 5).map((row) => {
            const events = reader.records.filter((r) => idOf(r) === String(row.id));
            const ops = events.map((e) => `${e.value?.op ?? 'tombstone'}:${e.value ? versionOf(e) : '-'}`);
            return `id ${row.id} table v ${row.v}, events [${ops.join(' ')}]`;
          });
          assert.fail(
            `${error.message}; ${rowsBehind.length} row(s) behind the table, e.g. ${sample.join('; ')}`,
          );
        });

      const snapshotReads = assertNeverReordered(reader.of(bed.topic('items')));
      // Rows no write touched during the test are known only through the snapshot.
      assert.ok(snapshotReads > 1000, `only ${snapshotReads} snapshot reads`);
    },
  );

  it(
    'a commit the WAL holds before the read but the read cannot see yet does not put its key back in time',
    { timeout: 180_000 },
    async (t) => {
      // Postgres writes a commit's record, flushes it, and only then makes the commit visible. A
      // commit_delay (applied in the flush) holds every write of `hot` in that gap for 50 ms, so a
      // chunk read while the stream waits at the last chunk's high watermark keeps meeting a commit
      // the WAL already has ahead of it but the SELECT cannot see: the window must count it.
      const hot = await versionedTable('hot', 200);
      const app = await streamingSource(t, 20);

      const writer = await bed.client();
      let writing = true;
      const writes = (async () => {
        while (writing) {
          await writer.query('BEGIN');
          await writer.query('SET LOCAL commit_siblings = 0');
          await writer.query('SET LOCAL commit_delay = 50000');
          await writer.query(`UPDATE ${hot} SET v = nextval('${bed.name}.hot_versions')`);
          await writer.query('COMMIT');
        }
      })();
      try {
        assert.equal((await post(`${app.url}/snapshots`, { tables: [hot] })).status, 202);
        await bed.waitForStatus(app.url, (s) => s.snapshot?.kind === 'incremental', 30_000);
        await bed.waitForStatus(app.url, (s) => s.snapshot === undefined, 120_000);
      } finally {
        writing = false;
        await writes;
        await writer.end();
      }
      const [{ v: last }] = await bed.sql<{ v: string }>(`SELECT max(v)::text AS v FROM ${hot}`);
      const reader = await bed.consume([bed.topic('hot')]);
      await reader.until(
        (records) => records.some((r) => r.value !== null && versionOf(r) === Number(last)),
        60_000,
      );
      assertNeverReordered(reader.of(bed.topic('hot')));
      await bed.stopApp(app);
    },
  );

  /**
   * A commit a synchronous standby holds: the stack runs Postgres with synchronous_commit=local, so
   * naming a standby that never answers holds only the commits of a session asking for `on`: one
   * flushed, sent to the slot and published, yet invisible to every query until the standby is no
   * longer awaited. `signalled`: the held transaction is also the one that asks for the snapshot.
   */
  const heldCommitCase = async (t: TestContext, name: string, signalled: boolean) => {
    const awaitStandby = async (standby: string | undefined) => {
      await bed.sql(
        standby === undefined
          ? 'ALTER SYSTEM RESET synchronous_standby_names'
          : `ALTER SYSTEM SET synchronous_standby_names = '${standby}'`,
      );
      await bed.sql('SELECT pg_reload_conf()');
    };
    // Left set by a run killed before its clean-up (ALTER SYSTEM persists): never kept.
    await awaitStandby(undefined);
    const [setting] = await bed.sql<{ synchronous_commit: string }>('SHOW synchronous_commit');
    if (setting.synchronous_commit !== 'local') {
      t.skip(
        `the stack's Postgres runs with synchronous_commit=${setting.synchronous_commit} (started by an older ` +
          'version): holding one commit would hold every session; restart it (sluice stack down, then up)',
      );
      return;
    }
    /** Whether a commit asking for `on` now waits for the standby (a probe, cancelled if so). */
    const commitsAreHeld = async (): Promise<boolean> => {
      const probe = await bed.client();
      try {
        const [{ pid }] = (await probe.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
        await probe.query('SET synchronous_commit = on');
        // A commit that wrote something (one that only took an xid does not wait for a standby).
        const committing = probe.query(`INSERT INTO ${bed.name}.standby_probe DEFAULT VALUES`);
        committing.catch(() => undefined);
        const held = await Promise.race([
          committing.then(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300)),
        ]);
        // Cancelled, the wait ends (the commit stays, with a warning).
        if (held) await bed.sql('SELECT pg_cancel_backend($1)', [pid]);
        await committing.catch(() => undefined);
        return held;
      } finally {
        await probe.end();
      }
    };
    await bed.sql(`CREATE TABLE IF NOT EXISTS ${bed.name}.standby_probe (x serial PRIMARY KEY)`);
    const held = await versionedTable(name, 30);
    const app = await streamingSource(t, 10);
    const writer = await bed.client();
    try {
      await awaitStandby('sluice_it_standby');
      // The reload takes effect when the checkpointer has read it: wait until a commit is held.
      await bed.waitFor(() => commitsAreHeld().then((held) => held || undefined), 30_000);
      await writer.query('SET synchronous_commit = on');
      await writer.query('BEGIN');
      const { rows } = await writer.query<{ v: string }>(
        `UPDATE ${held} SET v = nextval('${bed.name}.${name}_versions') WHERE id = 5 RETURNING v::text AS v`,
      );
      if (signalled)
        await writer.query(`INSERT INTO ${bed.table('sluice_signals')} VALUES ($1, 'execute-snapshot', $2)`, [
          `${name}-signal`,
          JSON.stringify({ 'data-collections': [held], type: 'incremental' }),
        ]);
      const committing = writer.query('COMMIT');
      committing.catch(() => undefined); // awaited below
      const reader = await bed.consume([bed.topic(name)]);
      await reader.until((records) => records.some((r) => r.value?.op === 'u'), 30_000);
      const [visible] = await bed.sql<{ v: string }>(`SELECT v::text AS v FROM ${held} WHERE id = 5`);
      assert.equal(visible.v, '5', 'published, and still invisible to queries');

      if (!signalled) assert.equal((await post(`${app.url}/snapshots`, { tables: [held] })).status, 202);
      await bed.waitForStatus(app.url, (s) => s.snapshot?.kind === 'incremental', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const reads = () => reader.of(bed.topic(name)).filter((r) => r.value?.op === 'r').length;
      assert.equal(reads(), 0, 'the first chunk is not read while the delivered commit is invisible');

      await awaitStandby(undefined);
      await committing;
      await reader.until(() => reads() === 30, 60_000);
      await bed.waitForStatus(app.url, (s) => s.snapshot === undefined, 60_000);
      const five = reader.of(bed.topic(name)).filter((r) => r.key?.id === 5);
      assert.deepEqual(
        five.map((r) => `${r.value?.op}:${versionOf(r)}`),
        [`u:${rows[0].v}`, `r:${rows[0].v}`],
      );
      assertNeverReordered(reader.of(bed.topic(name)));
    } finally {
      await awaitStandby(undefined);
      await writer.end();
    }
    await bed.stopApp(app);
  };

  it(
    'a commit the stream delivered but queries cannot see yet (a synchronous standby) holds the chunk read until it is visible',
    { timeout: 180_000 },
    (t) => heldCommitCase(t, 'held', false),
  );

  it(
    'a signal in a transaction a synchronous standby holds is acted on at its end, once that transaction is visible',
    { timeout: 180_000 },
    (t) => heldCommitCase(t, 'heldsignal', true),
  );

  it(
    'a change left out for its origin does not take its row out of a chunk',
    { timeout: 120_000 },
    async (t) => {
      // Two-way sync leaves out what its own sink wrote (events.skipOrigins). Such a change, streamed
      // between a chunk's read and its high watermark, is never published: if it dropped its row from
      // the chunk, that row would reach Kafka neither from the stream nor from the snapshot.
      const mirrored = bed.table('mirrored');
      await bed.sql(`CREATE TABLE ${mirrored} (id int PRIMARY KEY, v text)`);
      await bed.sql(`INSERT INTO ${mirrored} SELECT g, 'before' FROM generate_series(1, 20) g`);
      const origin = `${bed.name}_peer`;
      await bed.sql(`SELECT pg_replication_origin_create('${origin}')`);
      t.after(() => bed.sql(`SELECT pg_replication_origin_drop('${origin}')`));
      const app = await streamingSource(t, 50, { events: { skipOrigins: [origin] } });

      // Paused, the stream reaches the signal (and reads the chunk) only after the peer's write is
      // committed: the read sees it, and the window then meets it.
      assert.equal((await post(`${app.url}/pause`)).body.phase, 'paused');
      assert.equal((await post(`${app.url}/snapshots`, { tables: [mirrored] })).status, 202);
      const peer = await bed.client();
      try {
        await peer.query('SELECT pg_replication_origin_session_setup($1)', [origin]);
        await peer.query(`UPDATE ${mirrored} SET v = 'from the peer' WHERE id = 7`);
      } finally {
        await peer.end();
      }
      await post(`${app.url}/resume`);

      const reader = await bed.consume([bed.topic('mirrored')]);
      const reads = () => reader.of(bed.topic('mirrored')).filter((r) => r.value?.op === 'r');
      await reader
        .until(() => reads().length === 20, 60_000)
        .catch((error: Error) => {
          const missing = Array.from({ length: 20 }, (_, i) => i + 1).filter(
            (id) => !reads().some((r) => r.key?.id === id),
          );
          assert.fail(`${error.message}: no snapshot read of id ${missing.join(', ')}`);
        });
      const seven = reader.of(bed.topic('mirrored')).filter((r) => r.key?.id === 7);
      assert.deepEqual(
        seven.map((r) => `${r.value?.op}:${r.value?.after?.v}`),
        ['r:from the peer'],
      );
      await bed.stopApp(app);
    },
  );

  it('continues after a restart from the last chunk Kafka holds', { timeout: 180_000 }, async (t) => {
    const big = bed.table('big');
    await bed.sql(`CREATE TABLE ${big} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, pad text)`);
    await bed.sql(`INSERT INTO ${big} SELECT g, 0, repeat('x', 200) FROM generate_series(1, 6000) g`);
    const config = {
      snapshot: { mode: 'never' as const, incrementalChunkSize: 100 },
      signals: { table: bed.table('sluice_signals') },
    };
    let app = await bed.startApp(config);
    t.after(() => bed.stopApp(app));
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    assert.equal((await post(`${app.url}/snapshots`, { tables: [big] })).status, 202);
    const reader = await bed.consume([bed.topic('big')]);
    const snapshotReads = () => reader.of(bed.topic('big')).filter((r) => r.value?.op === 'r').length;

    await reader.until(() => snapshotReads() >= 1500, 120_000);
    await bed.stopApp(app);
    const [saved] = await bed.sql<{ rows_done: string; last_key: unknown }>(
      `SELECT rows_done::text AS rows_done, last_key FROM ${bed.name}.sluice_incremental_snapshot WHERE source = $1 AND table_name = $2`,
      [bed.name, big],
    );
    assert.ok(saved !== undefined, 'progress row kept while the snapshot is unfinished');
    const savedRows = Number(saved.rows_done);
    assert.ok(savedRows >= 1000 && savedRows < 6000, `saved progress ${savedRows}`);

    app = await bed.startApp(config);
    await reader.until(() => {
      const ids = new Set(
        reader
          .of(bed.topic('big'))
          .filter((r) => r.value?.op === 'r')
          .map((r) => r.key!.id),
      );
      return ids.size === 6000;
    }, 120_000);
    await bed.waitForStatus(app.url, (s) => s.snapshot === undefined);
    // Resumed, not restarted: rows before the saved position are not read a second time (at most
    // the chunks after it that Kafka held before the stop are).
    const total = snapshotReads();
    assert.ok(total < 6000 + (6000 - savedRows), `${total} snapshot reads for 6000 rows`);
    assert.ok(total - 6000 <= snapshotReads() - savedRows);
    const [left] = await bed.sql<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${bed.name}.sluice_incremental_snapshot WHERE source = $1`,
      [bed.name],
    );
    assert.equal(left.n, '0', 'the finished table leaves no progress row');
    await bed.stopApp(app);
  });

  it(
    'answers bad requests and bad signals clearly, and keeps streaming',
    { timeout: 120_000 },
    async (test) => {
      const t = bed.table('plain');
      await bed.sql(`CREATE TABLE ${t} (id int PRIMARY KEY, v int)`);
      const app = await bed.startApp({
        snapshot: { mode: 'never' },
        signals: { table: bed.table('sluice_signals') },
      });
      test.after(() => bed.stopApp(app));
      await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');

      const unknown = await post(`${app.url}/snapshots`, { tables: ['nope.nothing'] });
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.message ?? '', /nope\.nothing is not captured/);
      const malformed = await post(`${app.url}/snapshots`, { tables: ['no-dot'] });
      assert.equal(malformed.status, 400);
      assert.match(malformed.body.message ?? '', /at tables\.0: expected schema\.table/);
      assert.equal((await post(`${app.url}/snapshots`, {})).status, 400);

      // A signal row Sluice cannot act on is logged and skipped; the stream goes on.
      await bed.sql(
        `INSERT INTO ${bed.table('sluice_signals')} VALUES ('bad-1', 'execute-snapshot', 'not json')`,
      );
      await bed.sql(`INSERT INTO ${bed.table('sluice_signals')} VALUES ('bad-2', 'execute-snapshot', '{}')`);
      await bed.sql(`INSERT INTO ${t} VALUES (1, 1)`);
      const reader = await bed.consume([bed.topic('plain')]);
      await reader.until((records) => records.some((r) => r.value?.op === 'c'));
      assert.equal((await getStatus(app.url)).phase, 'streaming');

      // The CLI: usage errors exit 2, a refused request exits 1 naming why, a good one prints the signal.
      // Asynchronously: the app answering it runs in this process.
      const cli = (...args: string[]) =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            [SLUICE_BIN, 'snapshot', ...args],
            { encoding: 'utf8', timeout: 60_000 },
            (error, stdout, stderr) =>
              resolve({ status: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
          );
        });
      const usage = await cli('--table', 'no-dot', '--source', app.url);
      assert.equal(usage.status, 2, usage.stderr);
      assert.match(usage.stderr, /--table expects schema\.table, got 'no-dot'/);
      assert.equal((await cli('--table', t, '--source', 'not a url')).status, 2);
      const refused = await cli('--table', 'nope.nothing', '--source', app.url);
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(
        refused.stderr + refused.stdout,
        /the source refused \(404\): Table nope\.nothing is not captured/,
      );
      const ok = await cli('--table', t, '--source', app.url);
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /incremental snapshot of .*plain requested \(signal [0-9a-f-]{36}\)/);
      await reader.until((records) => records.some((r) => r.value?.op === 'r' && r.key?.id === 1));
      await bed.stopApp(app);

      // A source without a signal table says what is missing.
      const plain = await bed.startApp({ snapshot: { mode: 'never' }, slot: { name: `${bed.slot}_b` } });
      bed.trackSlot(`${bed.slot}_b`);
      test.after(() => bed.stopApp(plain));
      await bed.waitForStatus(plain.url, (s) => s.phase === 'streaming');
      const noSignals = await post(`${plain.url}/snapshots`, { tables: [t] });
      assert.equal(noSignals.status, 409);
      assert.match(noSignals.body.message ?? '', /set signals\.table/);
      await bed.stopApp(plain);
    },
  );
});
