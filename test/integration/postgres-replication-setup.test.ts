// Slot, publication and preflight checks against the stack's Postgres: each fault gives its own
// clear, classified error. (wal_level cannot be changed on the shared server; its check has a unit
// spec with an injected settings reader.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentError, RetriableError } from '@sluice/errors';
import {
  listTables,
  PostgresSession,
  Publication,
  ReplicationConnection,
  ReplicationPreflight,
  ReplicationSlot,
  selectTables,
} from '@sluice/postgres-cdc';
import { CdcTestDatabase } from './postgres-cdc-harness';

describe('replication setup and preflight against real Postgres', () => {
  let db: CdcTestDatabase;
  let session: PostgresSession;
  let keyed: string;
  let keyless: string;

  before(async () => {
    db = await CdcTestDatabase.open('pgcdc_setup');
    keyed = db.table('keyed');
    keyless = db.table('keyless');
    await db.query(`CREATE TABLE ${keyed} (id int PRIMARY KEY, v text)`);
    await db.query(`CREATE TABLE ${keyless} (v text)`);
    session = await PostgresSession.connect(db.connectionOptions());
  });

  after(async () => {
    await session?.close();
    await db.cleanup();
  });

  const table = (name: string) => ({ schema: 'public', table: name });

  it('passes every check on a sound setup and reports a missing slot as undefined', async () => {
    const publication = db.publication('ok');
    await new Publication(session, publication).ensure({ kind: 'tables', tables: [table(keyed)] });
    const result = await new ReplicationPreflight(session).run({
      database: 'source',
      slot: db.slot('never_created'),
      publication,
      tables: [table(keyed)],
    });
    assert.equal(result.slot, undefined);
  });

  it('creates a publication for chosen tables and adds new tables matching the include patterns', async () => {
    const name = db.publication('grow');
    const pub = new Publication(session, name);
    const first = await pub.ensure({ kind: 'tables', tables: [table(keyed)] });
    assert.equal(first.created, true);
    const later = db.table('later');
    await db.query(`CREATE TABLE ${later} (id int PRIMARY KEY)`);
    const selected = selectTables(await listTables(session), [`public.${db.base}_*`], [`public.${keyless}`]);
    assert.deepEqual(selected.map((t) => t.table).sort(), [keyed, later].sort());
    const second = await pub.ensure({ kind: 'tables', tables: selected });
    assert.deepEqual(second, { created: false, added: [table(later)] });
    assert.deepEqual((await pub.tables()).map((t) => t.table).sort(), [keyed, later].sort());
    await pub.checkCovers(selected);
  });

  it('creates FOR TABLES IN SCHEMA and FOR ALL TABLES publications', async () => {
    const schemaPub = new Publication(session, db.publication('schema'));
    await schemaPub.ensure({ kind: 'schemas', schemas: ['public'] });
    assert.ok((await schemaPub.tables()).some((t) => t.table === keyed));
    const allPub = new Publication(session, db.publication('all'));
    await allPub.ensure({ kind: 'all-tables' });
    const [row] = await db.query<{ puballtables: boolean }>(
      'SELECT puballtables FROM pg_publication WHERE pubname = $1',
      [allPub.name],
    );
    assert.equal(row.puballtables, true);
  });

  it('names the tables a publication lacks and the ALTER PUBLICATION that adds them', async () => {
    const name = db.publication('partial');
    await db.query(`CREATE PUBLICATION ${name}`);
    const other = db.table('other');
    await db.query(`CREATE TABLE ${other} (id int PRIMARY KEY)`);
    await assert.rejects(new Publication(session, name).checkCovers([table(other)]), (error: unknown) => {
      assert.ok(error instanceof EnvironmentError && error.code === 'PG_PUBLICATION_MISSING_TABLES');
      assert.match(error.message, new RegExp(`public\\.${other}`));
      assert.match(error.message, /ALTER PUBLICATION .* ADD TABLE/);
      return true;
    });
    await assert.rejects(
      new Publication(session, db.publication('absent')).checkCovers([table(other)]),
      (error: unknown) => error instanceof EnvironmentError && error.code === 'PG_PUBLICATION_MISSING',
    );
  });

  it('refuses a captured table without a primary key under REPLICA IDENTITY DEFAULT, accepts it with FULL', async () => {
    const preflight = new ReplicationPreflight(session);
    await assert.rejects(preflight.checkKeys([table(keyed), table(keyless)]), (error: unknown) => {
      assert.ok(error instanceof EnvironmentError && error.code === 'PG_TABLE_WITHOUT_KEY');
      assert.match(error.message, new RegExp(`public\\.${keyless}`));
      assert.match(error.message, /REPLICA IDENTITY FULL/);
      return true;
    });
    const full = db.table('full');
    await db.query(`CREATE TABLE ${full} (v text)`);
    await db.query(`ALTER TABLE ${full} REPLICA IDENTITY FULL`);
    await preflight.checkKeys([table(keyed), table(full)]);
  });

  it('refuses a role without REPLICATION, for the check and for the walsender itself', async () => {
    const role = db.role('norepl');
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw' NOREPLICATION`);
    const options = db.connectionOptions({ user: role, password: 'pw' });
    const roleSession = await PostgresSession.connect(options);
    try {
      await assert.rejects(new ReplicationPreflight(roleSession).checkRole(), (error: unknown) => {
        assert.ok(error instanceof EnvironmentError && error.code === 'PG_PERMISSION' && !error.retriable);
        assert.match(error.message, new RegExp(`ALTER ROLE ${role} REPLICATION`));
        return true;
      });
    } finally {
      await roleSession.close();
    }
    await assert.rejects(
      ReplicationConnection.connect(options),
      (error: unknown) => error instanceof EnvironmentError && error.code === 'PG_PERMISSION',
    );
  });

  it('sees a slot active in another process and refuses it with a retriable PG_SLOT_IN_USE', async () => {
    const slot = db.slot('busy');
    const publication = db.publication('busy');
    await new Publication(session, publication).ensure({ kind: 'tables', tables: [table(keyed)] });
    const creator = await ReplicationConnection.connect(db.connectionOptions());
    await creator.createSlot(slot, { exportSnapshot: false });
    await creator.close();
    const streaming = await ReplicationConnection.connect(db.connectionOptions());
    const stream = await streaming.startReplication({ slot, publications: [publication] });
    try {
      const pid = (await db.slotState(slot))?.active_pid;
      await assert.rejects(new ReplicationPreflight(session).checkSlot(slot, 'source'), (error: unknown) => {
        assert.ok(error instanceof RetriableError && error.code === 'PG_SLOT_IN_USE');
        assert.match(error.message, new RegExp(`pg_terminate_backend\\(${pid}\\)`));
        return true;
      });
    } finally {
      await stream.stop();
    }
    await db.waitFor(async () => (await db.slotState(slot))?.active_pid === null || undefined);
    const state = await new ReplicationPreflight(session).checkSlot(slot, 'source');
    assert.ok(state !== undefined && state.confirmedFlushLsn.isValid);
    await new ReplicationSlot(session, slot).drop();
    assert.equal(await new ReplicationSlot(session, slot).state(), undefined);
  });
});
