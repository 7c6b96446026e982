// Golden test of the pgoutput decoder against the real Postgres of the local stack: make known
// changes to a fresh table, read what Postgres's own pgoutput plugin wrote for them through
// pg_logical_slot_peek_binary_changes (protocol version 1, the bytes a replication stream carries
// in its XLogData payloads) and check that every message decodes to what happened.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import {
  type DeleteMessage,
  type InsertMessage,
  type LogicalMessage,
  Lsn,
  type PgOutputMessage,
  PgOutputDecoder,
  type RelationMessage,
  type TruncateMessage,
  type TypeMessage,
  UNCHANGED_TOAST,
  type UpdateMessage,
} from '@sluice/postgres-cdc';
import { stackAddresses, uniqueName } from '@sluice/test-support';

interface ChangeRow {
  lsn: string;
  xid: string;
  data: Buffer;
}

const BIG = 'x'.repeat(10_000);

describe('pgoutput decoder against real Postgres (golden)', () => {
  const base = uniqueName('pgcdc_golden').replace(/[^a-z0-9_]/g, '_');
  const main = `${base}_main`;
  const other = `${base}_other`;
  const mood = `${base}_mood`;
  const publication = `${base}_pub`;
  const slot = `${base}_slot`;
  let client: Client;
  let slotCreated = false;
  let rows: ChangeRow[] = [];
  let messages: PgOutputMessage[] = [];
  const ours = new Set<string>();

  /** Runs one statement in its own transaction and remembers the transaction's xid. */
  const change = async (sql: string, params: unknown[] = []): Promise<void> => {
    await client.query('BEGIN');
    await client.query(sql, params);
    const {
      rows: [{ xid }],
    } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::xid::text AS xid');
    await client.query('COMMIT');
    ours.add(xid);
  };

  const isDescription = (m: PgOutputMessage): boolean => m.type === 'relation' || m.type === 'type';
  const transactions = (): PgOutputMessage[][] => {
    const all: PgOutputMessage[][] = [];
    for (const message of messages) {
      if (message.type === 'begin') all.push([]);
      all.at(-1)?.push(message);
    }
    return all;
  };
  /** The data messages (neither Begin, Commit nor a description) of the n-th transaction. */
  const data = (n: number): PgOutputMessage[] =>
    (transactions()[n] ?? []).filter((m) => !isDescription(m) && m.type !== 'begin' && m.type !== 'commit');
  const first = <T extends PgOutputMessage>(type: T['type']): T => {
    const found = messages.find((m) => m.type === type);
    assert.ok(found, `a ${type} message`);
    return found as T;
  };

  before(async () => {
    const { host, port, user, password } = stackAddresses().postgres;
    client = new Client({ host, port, user, password, database: 'source' });
    await client.connect();
    await client.query(`CREATE TYPE ${mood} AS ENUM ('happy', 'sad')`);
    await client.query(
      `CREATE TABLE ${main} (id int PRIMARY KEY, name varchar(20) NOT NULL, big text, note text, mood ${mood})`,
    );
    // EXTERNAL: stored out of line uncompressed, so 10,000 bytes are surely TOASTed.
    await client.query(`ALTER TABLE ${main} ALTER COLUMN big SET STORAGE EXTERNAL`);
    await client.query(`CREATE TABLE ${other} (id int PRIMARY KEY)`);
    await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${main}, ${other}`);
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    slotCreated = true;

    await change(
      `INSERT INTO ${main} VALUES (1, 'ann', $1, NULL, 'happy'), (2, 'bob', 'small', 'n2', NULL)`,
      [BIG],
    );
    await change(`UPDATE ${main} SET name = 'ann2' WHERE id = 1`); // big stays TOASTed, unchanged
    await change(`UPDATE ${main} SET id = 10 WHERE id = 2`); // key change: old key sent
    await change(`DELETE FROM ${main} WHERE id = 10`);
    await change(`SELECT pg_logical_emit_message(true, 'sluice-golden', 'hello')`);
    await change(`INSERT INTO ${other} VALUES (7)`);
    await change(`TRUNCATE ${main}, ${other} RESTART IDENTITY CASCADE`);

    const result = await client.query<ChangeRow>(
      `SELECT lsn::text AS lsn, xid::text AS xid, data FROM pg_logical_slot_peek_binary_changes(
         $1, NULL, NULL, 'proto_version', '1', 'publication_names', $2, 'messages', 'true')`,
      [slot, publication],
    );
    // The slot sees every logical decoding message of the database, and suites running beside this
    // one emit their own (watermarks, heartbeats): only this suite's transactions are golden.
    rows = result.rows.filter((row) => ours.has(row.xid));
    const decoder = new PgOutputDecoder();
    messages = rows.map((row) => decoder.decode(row.data));
  });

  after(async () => {
    if (!client) return;
    try {
      if (slotCreated) await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      await client.query(`DROP PUBLICATION IF EXISTS ${publication}`);
      await client.query(`DROP TABLE IF EXISTS ${main}, ${other}`);
      await client.query(`DROP TYPE IF EXISTS ${mood}`);
    } finally {
      await client.end();
    }
  });

  // Postgres sends Relation (and Type) messages whenever its cache of what this session described
  // is invalidated, and a publication or catalog change anywhere in the database (other suites run
  // beside this one) invalidates it: where the descriptions fall is Postgres's choice, so the
  // sequence is checked on the data messages, and each data message on its relation being described
  // before it.
  it('decodes the whole sequence of messages, transaction by transaction', () => {
    assert.deepEqual(
      transactions().map((tx) => tx.filter((m) => !isDescription(m)).map((m) => m.type)),
      [
        ['begin', 'insert', 'insert', 'commit'],
        ['begin', 'update', 'commit'],
        ['begin', 'update', 'commit'],
        ['begin', 'delete', 'commit'],
        ['begin', 'message', 'commit'],
        ['begin', 'insert', 'commit'],
        ['begin', 'truncate', 'commit'],
      ],
    );
    const described = new Set<RelationMessage['relation']>();
    for (const message of messages) {
      if (message.type === 'relation') described.add(message.relation);
      const touched =
        message.type === 'truncate'
          ? message.relations
          : 'relation' in message && message.type !== 'relation'
            ? [message.relation]
            : [];
      for (const relation of touched)
        assert.ok(described.has(relation), `${message.type} of a described relation`);
    }
    // TRUNCATE gives the tables new storage, which invalidates what the session sent: Postgres
    // describes both tables again inside the truncating transaction.
    const truncating = transactions().at(-1) ?? [];
    const redescribed = truncating.filter((m): m is RelationMessage => m.type === 'relation');
    assert.deepEqual([...new Set(redescribed.map((m) => m.relation.table))].sort(), [main, other].sort());
  });

  it('frames each transaction: Begin and Commit agree on the commit LSN, xid matches Postgres', () => {
    let begin: PgOutputMessage | undefined;
    const now = Date.now();
    messages.forEach((message, i) => {
      assert.doesNotThrow(() => Lsn.parse(rows[i].lsn));
      if (message.type === 'begin') {
        begin = message;
        assert.equal(String(message.xid), rows[i].xid);
        assert.ok(Math.abs(message.commitTime.epochMillis - now) < 5 * 60_000, 'commit time is recent');
        assert.equal(message.commitTime.epochMicros / 1000n, BigInt(message.commitTime.epochMillis));
      } else if (message.type === 'commit') {
        assert.ok(begin?.type === 'begin');
        assert.ok(message.commitLsn.equals(begin.finalLsn));
        assert.ok(message.endLsn.isAfter(message.commitLsn));
        assert.equal(message.commitTime.epochMicros, begin.commitTime.epochMicros);
        begin = undefined;
      }
    });
    const begins = messages.filter((m) => m.type === 'begin');
    for (let i = 1; i < begins.length; i++) assert.ok(begins[i].finalLsn.isAfter(begins[i - 1].finalLsn));
  });

  it('describes the table: schema, columns, type OIDs, typmod, key flags, replica identity; and the enum type', () => {
    const type = first<TypeMessage>('type');
    assert.equal(type.schema, 'public');
    assert.equal(type.name, mood);
    const { relation } = first<RelationMessage>('relation');
    assert.equal(relation.schema, 'public');
    assert.equal(relation.table, main);
    assert.equal(relation.replicaIdentity, 'default');
    assert.deepEqual(
      relation.columns.map((c) => [c.name, c.typeOid, c.typeModifier, c.isKey]),
      [
        ['id', 23, -1, true],
        ['name', 1043, 24, false],
        ['big', 25, -1, false],
        ['note', 25, -1, false],
        ['mood', type.typeOid, -1, false],
      ],
    );
  });

  it('decodes inserted values as text, with NULL as null', () => {
    const [ann, bob] = data(0) as InsertMessage[];
    assert.equal(ann.relation.table, main);
    assert.deepEqual(ann.newValues, ['1', 'ann', BIG, null, 'happy']);
    assert.deepEqual(bob.newValues, ['2', 'bob', 'small', 'n2', null]);
  });

  it('keeps a TOASTed column the update left alone as UNCHANGED_TOAST, never null', () => {
    const [update] = data(1) as UpdateMessage[];
    assert.equal(update.oldKind, null);
    assert.equal(update.oldValues, null);
    assert.deepEqual(update.newValues, ['1', 'ann2', UNCHANGED_TOAST, null, 'happy']);
  });

  it('sends the old key when an update changes the key, and the key on delete', () => {
    const [update] = data(2) as UpdateMessage[];
    assert.equal(update.oldKind, 'key');
    assert.deepEqual(update.oldValues, ['2', null, null, null, null]);
    assert.deepEqual(update.newValues, ['10', 'bob', 'small', 'n2', null]);
    const [del] = data(3) as DeleteMessage[];
    assert.equal(del.oldKind, 'key');
    assert.deepEqual(del.oldValues, ['10', null, null, null, null]);
  });

  it('decodes a transactional logical decoding message', () => {
    const [message] = data(4) as LogicalMessage[];
    assert.equal(message.transactional, true);
    assert.equal(message.prefix, 'sluice-golden');
    assert.equal(message.content.toString(), 'hello');
    assert.ok(message.lsn.isValid);
  });

  it('decodes a truncate of two tables with its flags', () => {
    const [insert] = data(5) as InsertMessage[];
    assert.equal(insert.relation.table, other);
    assert.deepEqual(insert.newValues, ['7']);
    const truncating = transactions()[6];
    const described = truncating
      .filter((m): m is RelationMessage => m.type === 'relation')
      .map((m) => m.relation);
    const [truncate] = data(6) as TruncateMessage[];
    assert.deepEqual(truncate.relations.map((r) => r.table).sort(), [main, other].sort());
    for (const relation of truncate.relations) assert.ok(described.includes(relation));
    assert.equal(truncate.cascade, true);
    assert.equal(truncate.restartIdentity, true);
  });
});
