// ReplicationConnection + ReplicationStream against the stack's Postgres: real slots, real
// walsenders. Each test uses its own table, publication and slot and drops the slot afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetriableError } from '@sluice/errors';
import {
  type CommitMessage,
  type InsertMessage,
  Lsn,
  type PgOutputMessage,
  ReplicationConnection,
  type ReplicationMessage,
  type ReplicationStream,
} from '@sluice/postgres-cdc';
import { CdcTestDatabase, take } from './postgres-cdc-harness';

/** Messages up to and including the `count`-th commit. */
async function transactions(stream: ReplicationStream, count: number): Promise<ReplicationMessage[]> {
  const messages: ReplicationMessage[] = [];
  let commits = 0;
  while (commits < count) {
    const [item] = await take(stream, 1);
    messages.push(item);
    if (item.message.type === 'commit') commits++;
  }
  return messages;
}

function insertedIds(messages: ReplicationMessage[]): string[] {
  return messages
    .map((m) => m.message)
    .filter((m): m is InsertMessage => m.type === 'insert')
    .map((m) => m.newValues[0] as string);
}

function lastCommit(messages: ReplicationMessage[]): CommitMessage {
  const commits = messages.map((m) => m.message).filter((m): m is CommitMessage => m.type === 'commit');
  return commits[commits.length - 1];
}

describe('ReplicationStream against real Postgres', () => {
  let db: CdcTestDatabase;
  let table: string;
  let publication: string;

  before(async () => {
    db = await CdcTestDatabase.open('pgcdc_stream');
    table = db.table('items');
    publication = db.publication('pub');
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text, data bytea)`);
    await db.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
  });

  after(async () => db.cleanup());

  async function newSlot(suffix: string): Promise<string> {
    const slot = db.slot(suffix);
    const connection = await ReplicationConnection.connect(db.connectionOptions());
    try {
      await connection.createSlot(slot, { exportSnapshot: false });
    } finally {
      await connection.close();
    }
    return slot;
  }

  async function start(
    slot: string,
    resumeLsn = Lsn.INVALID,
    maxBufferedMessages?: number,
  ): Promise<ReplicationStream> {
    const connection = await ReplicationConnection.connect(db.connectionOptions());
    return connection.startReplication({ slot, publications: [publication], resumeLsn, maxBufferedMessages });
  }

  it('streams insert, update, delete and truncate through a slot, decoded, at protocol 4', async () => {
    const slot = await newSlot('kinds');
    const stream = await start(slot);
    try {
      await db.query(`INSERT INTO ${table} VALUES (1, 'a', '\\x0102ff')`);
      await db.query(`UPDATE ${table} SET name = 'b' WHERE id = 1`);
      await db.query(`DELETE FROM ${table} WHERE id = 1`);
      await db.query(`TRUNCATE ${table}`);
      const messages = await transactions(stream, 4);
      const types = messages.map((m) => m.message.type).filter((t) => t !== 'relation' && t !== 'type');
      assert.deepEqual(types, [
        ...['begin', 'insert', 'commit'],
        ...['begin', 'update', 'commit'],
        ...['begin', 'delete', 'commit'],
        ...['begin', 'truncate', 'commit'],
      ]);
      const insert = messages.find((m) => m.message.type === 'insert')!.message as InsertMessage;
      assert.equal(insert.relation.table, table);
      // Text output, bytea as hex: exactly what the snapshot reader produces.
      assert.deepEqual(insert.newValues, ['1', 'a', '\\x0102ff']);
      const commits = messages.map((m) => m.message).filter((m): m is CommitMessage => m.type === 'commit');
      for (let i = 1; i < commits.length; i++)
        assert.ok(
          commits[i].commitLsn.isAfter(commits[i - 1].endLsn) ||
            commits[i].commitLsn.equals(commits[i - 1].endLsn),
        );
      const changes = messages.filter((m) =>
        ['insert', 'update', 'delete', 'truncate'].includes(m.message.type),
      );
      for (const change of changes) assert.ok(change.lsn.isValid, 'a change carries its WAL position');
    } finally {
      await stream.stop();
    }
  });

  it('acknowledge advances confirmed_flush_lsn; a reconnect resumes after it without redelivery', async () => {
    const slot = await newSlot('ack');
    let stream = await start(slot);
    await db.query(`INSERT INTO ${table} VALUES (101, 'x', NULL)`);
    await db.query(`INSERT INTO ${table} VALUES (102, 'x', NULL)`);
    const first = await transactions(stream, 2);
    assert.deepEqual(insertedIds(first), ['101', '102']);
    const acked = lastCommit(first).endLsn;
    stream.acknowledge(acked);
    await db.waitFor(async () => (await db.confirmedFlush(slot))?.equals(acked));
    assert.equal(stream.position.acknowledgedLsn.toString(), acked.toString());
    await stream.stop();

    await db.query(`INSERT INTO ${table} VALUES (103, 'x', NULL)`);
    stream = await start(slot, acked);
    try {
      const second = await transactions(stream, 1);
      assert.deepEqual(insertedIds(second), ['103']);
    } finally {
      await stream.stop();
    }
  });

  it('redelivers unacknowledged transactions after the walsender is killed, failing with a RetriableError', async () => {
    const slot = await newSlot('redeliver');
    let stream = await start(slot);
    await db.query(`INSERT INTO ${table} VALUES (201, 'x', NULL)`);
    await db.query(`INSERT INTO ${table} VALUES (202, 'x', NULL)`);
    const first = await transactions(stream, 2);
    assert.deepEqual(insertedIds(first), ['201', '202']);
    // Only the first transaction reached Kafka.
    const firstCommit = first.map((m) => m.message).find((m): m is CommitMessage => m.type === 'commit')!;
    stream.acknowledge(firstCommit.endLsn);
    await db.waitFor(async () => (await db.confirmedFlush(slot))?.equals(firstCommit.endLsn));

    await db.terminateWalsender(slot);
    await assert.rejects(
      async () => {
        for (;;) await take(stream, 1);
      },
      (error: unknown) =>
        error instanceof RetriableError && /Replication from slot/.test((error as Error).message),
    );
    await db.waitFor(async () => (await db.slotState(slot))?.active_pid === null || undefined);

    stream = await start(slot, stream.position.acknowledgedLsn);
    try {
      await db.query(`INSERT INTO ${table} VALUES (203, 'x', NULL)`);
      const again = await transactions(stream, 2);
      assert.deepEqual(insertedIds(again), ['202', '203']);
    } finally {
      await stream.stop();
    }
  });

  it('skips transactions at or before the resume LSN even when the slot resends them', async () => {
    const slot = await newSlot('skip');
    let stream = await start(slot);
    await db.query(`INSERT INTO ${table} VALUES (301, 'x', NULL)`);
    await db.query(`INSERT INTO ${table} VALUES (302, 'x', NULL)`);
    const first = await transactions(stream, 2);
    // Never acknowledged to the slot (as if the process died before its status update), but the
    // source's own offset store says the first transaction is delivered.
    const delivered = first
      .map((m) => m.message)
      .find((m): m is CommitMessage => m.type === 'commit')!.endLsn;
    await stream.stop();
    stream = await start(slot, delivered);
    try {
      const again = await transactions(stream, 1);
      assert.deepEqual(insertedIds(again), ['302']);
      assert.equal(
        stream.position.skippedTransactions,
        0,
        'Postgres itself skips commits before the requested start',
      );
    } finally {
      await stream.stop();
    }
  });

  it('pauses the socket when the consumer falls behind and delivers everything once it drains', async () => {
    const slot = await newSlot('backpressure');
    const stream = await start(slot, Lsn.INVALID, 20);
    try {
      // ~2 MB of changes: far more than one socket read, which is parsed whole once read.
      await db.query(
        `INSERT INTO ${table} SELECT g, repeat('b', 1000), NULL FROM generate_series(1000, 2999) g`,
      );
      await db.waitFor(async () => stream.position.paused || undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const buffered = stream.position.bufferedMessages;
      assert.ok(buffered < 500, `reading stopped while the consumer held ${buffered} messages`);
      const messages = await transactions(stream, 1);
      assert.equal(insertedIds(messages).length, 2000);
      assert.equal(stream.position.paused, false);
    } finally {
      await stream.stop();
    }
  });

  // The exactly-once incremental snapshot records a chunk's progress at its high watermark's LSN
  // (IncrementalSnapshot.offsetProgress): that is sound only if no transaction streamed before the
  // watermark ends at or past it, even one whose commit record directly precedes it in the WAL.
  it('gives a logical message the LSN past its own record: after the end of the commit before it', async () => {
    const slot = await newSlot('message_lsn');
    const stream = await start(slot);
    const client = await db.client();
    try {
      await client.query(`INSERT INTO ${table} VALUES (401, 'x', NULL)`);
      const [{ lsn: emitted }] = (
        await client.query<{ lsn: string }>(
          `SELECT pg_logical_emit_message(false, 'sluice-lsn-order', 'x')::text AS lsn`,
        )
      ).rows;
      let commit: CommitMessage | undefined;
      let watermark: Extract<PgOutputMessage, { type: 'message' }> | undefined;
      while (watermark === undefined) {
        const [{ message }] = await take(stream, 1);
        if (message.type === 'commit') commit = message;
        // Suites beside this one write their own messages to the WAL (heartbeats, watermarks).
        if (message.type === 'message' && message.prefix === 'sluice-lsn-order') watermark = message;
      }
      assert.ok(commit, 'the insert committed before the message was streamed first');
      assert.equal(watermark.lsn.toString(), Lsn.parse(emitted).toString());
      assert.ok(
        watermark.lsn.isAfter(commit.endLsn),
        `message at ${watermark.lsn.toString()}, commit before it ending at ${commit.endLsn.toString()}`,
      );
    } finally {
      await client.end();
      await stream.stop();
    }
  });

  it('refuses a slot another process streams from with a retriable PG_SLOT_IN_USE error', async () => {
    const slot = await newSlot('in_use');
    const stream = await start(slot);
    try {
      await assert.rejects(start(slot), (error: unknown) => {
        assert.ok(error instanceof RetriableError);
        assert.equal((error as RetriableError).code, 'PG_SLOT_IN_USE');
        assert.match((error as Error).message, /pg_terminate_backend/);
        return true;
      });
    } finally {
      await stream.stop();
    }
  });
});

export type { PgOutputMessage };
