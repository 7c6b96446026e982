// source-postgres ALTER TABLE mid-stream, end to end: a compatible change (a nullable column) is
// registered as the value subject's next version before the first event that uses it; an
// incompatible one (a column's type changed) holds that table only — status names it and the
// registry's reason, the process stays live, another table keeps flowing — until the operator's
// POST /tables/<t>/resume {action: new-subject} releases its events, in order, under a new subject.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unframeRecord } from '@sluice/schema';
import { stackAddresses } from '@sluice/test-support';
import { getStatus, post, type SourceApp, SourceTestBed, type TopicReader } from './source-postgres-harness';

async function versions(subject: string): Promise<Array<{ version: number; id: number }>> {
  const registry = stackAddresses().registryUrl;
  const list = (await (await fetch(`${registry}/subjects/${subject}/versions`)).json()) as number[];
  return Promise.all(
    list.map(async (version) => {
      const body = (await (await fetch(`${registry}/subjects/${subject}/versions/${version}`)).json()) as {
        id: number;
      };
      return { version, id: body.id };
    }),
  );
}

describe('source-postgres schema changes mid-stream', () => {
  let bed: SourceTestBed;
  let app: SourceApp;
  let reader: TopicReader;

  before(async () => {
    bed = await SourceTestBed.open('it_src_alter');
    await bed.sql(`CREATE TABLE ${bed.table('a')} (id int PRIMARY KEY, v int NOT NULL)`);
    await bed.sql(`CREATE TABLE ${bed.table('b')} (id int PRIMARY KEY, v int NOT NULL)`);
    app = await bed.startApp();
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    await bed.sql(`INSERT INTO ${bed.table('a')} VALUES (1, 1)`);
    await bed.sql(`INSERT INTO ${bed.table('b')} VALUES (1, 1)`);
    reader = await bed.consume([bed.topic('a'), bed.topic('b')]);
    await reader.until((rs) => rs.length === 2);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('a nullable column added registers the next value version before its first event', async () => {
    await bed.sql(`ALTER TABLE ${bed.table('a')} ADD COLUMN note text`);
    await bed.sql(`INSERT INTO ${bed.table('a')} VALUES (2, 2, 'hello')`);
    await reader.until(() => reader.of(bed.topic('a')).length === 2);
    const subject = `${bed.topic('a')}-value`;
    const registered = await versions(subject);
    assert.equal(registered.length, 2, 'a second version of the value subject');
    const added = reader.of(bed.topic('a')).find((r) => r.key!.id === 2)!;
    assert.deepEqual(added.value!.after, { id: 2, v: 2, note: 'hello' });
    // The event's writer schema is that second version: it existed before the event was read.
    const consumer = bed.kafka.consumer({ groupId: `${bed.name}-raw` });
    await consumer.connect();
    await consumer.subscribe({ topics: [bed.topic('a')], fromBeginning: true });
    const ids: number[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) ids.push(unframeRecord(message.value).schemaId);
      },
    });
    await bed.waitFor(async () => ids.length === 2 || undefined, 30_000, 'raw records');
    await consumer.disconnect();
    assert.equal(ids.length, 2);
    assert.deepEqual(new Set(ids), new Set(registered.map((r) => r.id)));
    // Row 1 went out with version 1, row 2 with version 2: both ids, nothing else.
  });

  it('an incompatible change holds that table only; new-subject releases its events in order', async () => {
    await bed.sql(`ALTER TABLE ${bed.table('a')} ALTER COLUMN v TYPE text`);
    for (let i = 3; i <= 7; i++)
      await bed.sql(`INSERT INTO ${bed.table('a')} VALUES ($1, $2, 'x')`, [i, `t${i}`]);
    const held = await bed.waitForStatus(app.url, (s) => s.heldTables.length === 1, 30_000);
    const hold = held.heldTables[0]!;
    assert.equal(hold.table, bed.table('a'));
    assert.equal(hold.subject, `${bed.topic('a')}-value`);
    // The registry's answer: the rule broken and the compatibility level (it names union paths, not columns).
    assert.match(hold.reason, /incompatible/);
    assert.match(hold.reason, /BACKWARD/);
    assert.equal(held.phase, 'streaming');
    assert.equal((await fetch(`${app.url}/health/live`)).status, 200);

    // Table b flows meanwhile.
    await bed.sql(`INSERT INTO ${bed.table('b')} VALUES (2, 2)`);
    await reader.until(() => reader.of(bed.topic('b')).length === 2);
    assert.equal(reader.of(bed.topic('a')).length, 2, 'nothing of a while held');
    await bed.waitFor(async () => (await getStatus(app.url)).heldTables[0]?.heldEvents === 5 || undefined);

    const resumed = await post(`${app.url}/tables/${bed.table('a')}/resume`, { action: 'new-subject' });
    assert.equal(resumed.status, 202);
    assert.deepEqual(resumed.body.heldTables, []);
    await reader.until(() => reader.of(bed.topic('a')).length === 7);
    const released = reader.of(bed.topic('a')).filter((r) => (r.key!.id as number) >= 3);
    assert.deepEqual(
      [...released].sort((x, y) => x.value!.source.lsn! - y.value!.source.lsn!).map((r) => r.value!.after),
      [3, 4, 5, 6, 7].map((i) => ({ id: i, v: `t${i}`, note: 'x' })),
    );
    // In each partition (of() gives offset order) the released events keep commit order.
    for (const partition of new Set(released.map((r) => r.partition))) {
      const lsns = released.filter((r) => r.partition === partition).map((r) => r.value!.source.lsn!);
      assert.deepEqual(
        lsns,
        [...lsns].sort((x, y) => x - y),
        `partition ${partition}: commit order`,
      );
    }
    assert.equal((await versions(`${bed.topic('a')}-value-v2`)).length, 1, 'registered under a new subject');

    // And after the release, a's changes flow directly again.
    await bed.sql(`INSERT INTO ${bed.table('a')} VALUES (8, 't8', 'y')`);
    await reader.until(() => reader.of(bed.topic('a')).length === 8);
  });

  it('the new-subject decision survives a reconnect and a restart of the source', async () => {
    // A terminated walsender: the source reconnects in-process and re-reads a's Relation.
    const [row] = await bed.sql<{ pid: number }>(
      'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
      [bed.slot],
    );
    await bed.sql('SELECT pg_terminate_backend($1)', [row!.pid]);
    await bed.sql(`INSERT INTO ${bed.table('a')} VALUES (9, 't9', 'z')`);
    await reader.until(() => reader.of(bed.topic('a')).some((r) => r.key!.id === 9), 30_000);
    assert.deepEqual((await getStatus(app.url)).heldTables, []);

    // A new process: nothing in memory, the decision is found in the registry.
    await bed.stopApp(app);
    app = await bed.startApp();
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    await bed.sql(`INSERT INTO ${bed.table('a')} VALUES (10, 't10', 'z')`);
    await reader.until(() => reader.of(bed.topic('a')).some((r) => r.key!.id === 10), 30_000);
    assert.deepEqual((await getStatus(app.url)).heldTables, []);
  });
});
