// Two-way sync while one side's schema changes, the four apps as child processes (as
// `sluice sync plan` derives them):
// - a column added on one side while both sides write: source A registers the value schema's next
//   version (a nullable field, BACKWARD compatible), the sink into B adds the column there
//   (target.autoEvolve, logged in sluice_schema_migrations), B's source then publishes it too, and
//   the column's values cross both ways; both sides converge, each change crossed once, no echo;
// - a column's type changed on one side (int → text): source A holds that table — /status names
//   it, its subject and the registry's reason, the process streams on and another table keeps
//   syncing both ways. A change B makes to that table meanwhile (of the old type) cannot be written
//   into A's new column: the sink into A finds its statement no longer fits (SQLSTATE 42883),
//   checks the table again and dead-letters the change naming the column and both types (its key
//   parked there), instead of failing every batch. The operator makes the same type change on B
//   (whose source then holds the table too, for the same reason) and releases both
//   (POST /tables/<t>/resume, new-subject): both sides converge on the new type, but for the
//   dead-lettered key.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCommitted } from '@sluice/test-support';
import { post } from './source-postgres-harness';
import { randomLoad, type Site, TwoWayBed } from './two-way-sync-harness';

interface HeldStatus {
  phase: string;
  heldTables: Array<{ table: string; subject: string; reason: string; heldEvents: number }>;
}

const WITH_NOTE = ['id', 'v', 'n', "coalesce(note, '-')"];

describe('two-way sync: a schema change on one side during sync', { timeout: 300_000 }, () => {
  let two: TwoWayBed;

  const statusOf = async (name: 'source-a' | 'source-b'): Promise<HeldStatus> =>
    (await (await fetch(`${two.apps.get(name)!.url}/status`)).json()) as HeldStatus;

  before(async () => {
    two = await TwoWayBed.open('it_tw_schema', ['evolve_items', 'other_items']);
    await two.converged('evolve_items');
    await two.converged('other_items');
  });

  after(async () => {
    await two?.close();
  });

  it('a column added on A while both sides write is added on B; its values cross both ways', async (t) => {
    const table = two.table('evolve_items');
    const start = Date.now();
    const stop = () => Date.now() - start > 8000;
    const load = { keys: 30, writers: 1, pauseMs: 20, stop };
    const [a, b] = await Promise.all([
      randomLoad(two, 'a', 'evolve_items', load),
      randomLoad(two, 'b', 'evolve_items', load),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await two.client('a').query(`ALTER TABLE ${table} ADD COLUMN note text`);
      })(),
    ]);
    // The new column's values, written on each side.
    await two
      .client('a')
      .query(`INSERT INTO ${table} (id, v, n, note) VALUES (101, 'a:note', 0, 'written on a')`);
    await two.bed.waitFor(
      async () =>
        (await two.client('b').query(`SELECT 1 FROM ${table} WHERE id = 101 AND note = 'written on a'`))
          .rowCount === 1 || undefined,
      60_000,
      'the note written on a, on b',
    );
    await two
      .client('b')
      .query(`INSERT INTO ${table} (id, v, n, note) VALUES (102, 'b:note', 0, 'written on b')`);
    const rows = await two.converged('evolve_items', 90_000, WITH_NOTE);
    assert.ok(rows.includes('101:a:note:0:written on a') && rows.includes('102:b:note:0:written on b'));
    const [migration] = (
      await two
        .client('b')
        .query<{ statement: string }>(
          `SELECT statement FROM ${two.name}.sluice_schema_migrations WHERE statement LIKE '%ADD COLUMN%note%'`,
        )
    ).rows;
    assert.match(
      migration?.statement ?? 'none',
      /ALTER TABLE .*"?evolve_items"? ADD COLUMN IF NOT EXISTS "?note"? text/,
    );
    await two.assertQuiet('evolve_items');
    await two.assertCrossedOnce('evolve_items', { a: a.changes + 1, b: b.changes + 1 });
    t.diagnostic(`changes a ${a.changes + 1}, b ${b.changes + 1}; rows ${rows.length}`);
  });

  it('a conflicting type change is held with a clear status until both sides agree and it is released', async () => {
    const table = two.table('evolve_items');
    await two.client('a').query(`ALTER TABLE ${table} ALTER COLUMN n TYPE text`);
    await two.client('a').query(`UPDATE ${table} SET v = 'a:held', n = 'one' WHERE id = 101`);
    let held: HeldStatus | undefined;
    await two.bed.waitFor(
      async () => {
        held = await statusOf('source-a');
        return held.heldTables.length === 1 || undefined;
      },
      60_000,
      'source-a holding evolve_items',
    );
    const hold = held!.heldTables[0]!;
    assert.equal(hold.table, table);
    assert.equal(hold.subject, `${two.topic('a', 'evolve_items')}-value`);
    assert.match(hold.reason, /incompatible/);
    assert.equal(held!.phase, 'streaming');
    // Other tables keep syncing both ways meanwhile.
    await two
      .client('a')
      .query(`INSERT INTO ${two.table('other_items')} (id, v, n) VALUES (201, 'a:during', 0)`);
    await two
      .client('b')
      .query(`INSERT INTO ${two.table('other_items')} (id, v, n) VALUES (202, 'b:during', 0)`);
    const other = await two.converged('other_items');
    assert.ok(other.includes('201:a:during:0') && other.includes('202:b:during:0'), other.join(' '));
    // Held: the change of evolve_items has not reached B.
    assert.deepEqual((await two.client('b').query(`SELECT v FROM ${table} WHERE id = 101`)).rows, [
      { v: 'a:note' },
    ]);

    // B's change of that table into A, with n still an int: A's column is text now. The sink finds
    // its statement no longer fits, checks the table again and dead-letters the change naming the
    // column and both types; its other tables flow on.
    await two.client('b').query(`INSERT INTO ${table} (id, v, n) VALUES (103, 'b:int', 5)`);
    const sink = two.apps.get('sink-b-to-a')!;
    await two.bed.waitFor(
      async () =>
        ((await (await fetch(`${sink.url}/status`)).json()) as { recordsDeadLettered: number })
          .recordsDeadLettered === 1 || undefined,
      60_000,
      "b's change of evolve_items dead-lettered by sink-b-to-a",
    );
    const [dead] = [...(await readCommitted(two.bed.kafka, `${two.name}.b-to-a.dlq`)).values()].flat();
    assert.match(
      String(dead?.headers['__connect.errors.exception.message']),
      /column n is text, the schema needs integer/,
    );
    await two
      .client('b')
      .query(`INSERT INTO ${two.table('other_items')} (id, v, n) VALUES (203, 'b:after', 0)`);
    assert.ok((await two.converged('other_items')).includes('203:b:after:0'));

    // The operator makes the same change on B; B's source holds its table too, for the same reason.
    await two.client('b').query(`ALTER TABLE ${table} ALTER COLUMN n TYPE text`);
    await two.client('b').query(`UPDATE ${table} SET v = 'b:held', n = 'two' WHERE id = 102`);
    await two.bed.waitFor(
      async () => (await statusOf('source-b')).heldTables.length === 1 || undefined,
      60_000,
      'source-b holding evolve_items',
    );
    for (const name of ['source-a', 'source-b'] as const) {
      const released = await post(`${two.apps.get(name)!.url}/tables/${table}/resume`, {
        action: 'new-subject',
      });
      assert.equal(released.status, 202, JSON.stringify(released.body));
    }
    // Both sides agree on every row but the one whose change was dead-lettered: that key stays
    // parked in the dead-letter topic (its later changes would follow it there, in order).
    const without103 = async (site: Site) =>
      (await two.rowsOf(site, 'evolve_items', WITH_NOTE)).filter((r) => !r.startsWith('103:'));
    const rows = await two.bed.waitFor(
      async () => {
        const [onA, onB] = [await without103('a'), await without103('b')];
        return (
          (JSON.stringify(onA) === JSON.stringify(onB) &&
            onA.includes('102:b:held:two:written on b') &&
            onA) ||
          undefined
        );
      },
      90_000,
      'evolve_items equal on both sides but for key 103',
    );
    assert.ok(rows.includes('101:a:held:one:written on a'), rows.join(' '));
    assert.equal((await two.client('a').query(`SELECT 1 FROM ${table} WHERE id = 103`)).rowCount, 0);
    assert.equal((await two.client('b').query(`SELECT 1 FROM ${table} WHERE id = 103`)).rowCount, 1);
    for (const site of ['a', 'b'] as Site[]) {
      const { rows: types } = await two
        .client(site)
        .query<{ type: string }>(
          `SELECT atttypid::regtype::text AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'n'`,
          [table],
        );
      assert.deepEqual(types, [{ type: 'text' }], `n on ${site}`);
    }
  });
});
