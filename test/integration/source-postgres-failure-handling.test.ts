// source-postgres with events.processingFailureHandlingMode (Debezium's
// event.processing.failure.handling.mode) against the real Postgres and Kafka: a row whose value
// its column cannot carry (NaN in a NOT NULL numeric under decimal.handling.mode=precise) is left
// out under warn, and the source goes on streaming the rows after it, in the same transaction and
// later ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readCommitted } from '@sluice/test-support';
import { type SourceApp, SourceTestBed, type TopicReader } from './source-postgres-harness';

describe('source-postgres events.processingFailureHandlingMode warn', () => {
  let bed: SourceTestBed;
  let app: SourceApp;
  let reader: TopicReader;

  before(async () => {
    bed = await SourceTestBed.open('it_src_failmode');
    await bed.sql(`CREATE TABLE ${bed.table('amounts')} (id int PRIMARY KEY, amount numeric(6,2) NOT NULL)`);
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (1, 1.5), (2, 'NaN')`);
    app = await bed.startApp({ events: { processingFailureHandlingMode: 'warn' } });
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 60_000);
    reader = await bed.consume([bed.topic('amounts')]);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('leaves out the rows it cannot write, in the snapshot and streamed, and goes on', async () => {
    await bed.sql(
      `BEGIN; INSERT INTO ${bed.table('amounts')} VALUES (3, 'NaN'), (4, 4.25); COMMIT;
       INSERT INTO ${bed.table('amounts')} VALUES (5, 5)`,
    );
    const records = await reader.until((all) => all.some((r) => r.key?.id === 5));
    // Keys 4 and 5 may go to different partitions of the topic: no order between them is promised.
    assert.deepEqual(records.map((r) => `${r.value!.op}:${String(r.key!.id)}`).sort(), ['c:4', 'c:5', 'r:1']);
    const status = await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    assert.equal(status.phase, 'streaming');
  });
});

describe('source-postgres events.processingFailureHandlingMode fail, exactly once', () => {
  let bed: SourceTestBed;
  let app: SourceApp;
  let reader: TopicReader;

  before(async () => {
    bed = await SourceTestBed.open('it_src_failstop');
    await bed.sql(`CREATE TABLE ${bed.table('amounts')} (id int PRIMARY KEY, amount numeric(6,2) NOT NULL)`);
    // A long commit interval: the transactions right after a commit share the next Kafka transaction.
    app = await bed.startApp({ delivery: { commitIntervalMs: 5_000 } });
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 60_000);
    reader = await bed.consume([bed.topic('amounts')]);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('stops at the failing transaction and keeps back none committed before it', async () => {
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (1, 1)`);
    await reader.until((all) => all.some((r) => r.key?.id === 1));
    // Within the commit interval of the first: 2 and 3 would share the Kafka transaction that 4's
    // NaN aborts.
    // One query, one transaction (a multi-statement query string is a single transaction).
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (2, 2)`);
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (3, 3)`);
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (5, 5), (4, 'NaN')`);
    await bed.sql(`INSERT INTO ${bed.table('amounts')} VALUES (6, 6)`);
    const status = await bed.waitForStatus(app.url, (s) => s.phase === 'failed', 60_000);
    assert.match(JSON.stringify(status.lastError), /NaN/, 'the failure names the value, not the rerun');
    // The source has stopped: what is committed in the topic now is all it will ever hold.
    const committed = [...(await readCommitted(bed.kafka, bed.topic('amounts'))).values()].flat();
    const ids = await Promise.all(
      committed
        .filter((r) => r.value !== null)
        .map(
          async (r) =>
            `${(await bed.decoder.decode<{ op: string }>(r.value!)).value.op}:${String((await bed.decoder.decode<{ id: number }>(r.key!)).value.id)}`,
        ),
    );
    assert.deepEqual(
      ids.sort(),
      ['c:1', 'c:2', 'c:3'],
      'every transaction before the failing one, none of it or after it',
    );
  });
});
