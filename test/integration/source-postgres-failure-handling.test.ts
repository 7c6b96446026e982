// source-postgres with events.processingFailureHandlingMode (Debezium's
// event.processing.failure.handling.mode) against the real Postgres and Kafka: a row whose value
// its column cannot carry (NaN in a NOT NULL numeric under decimal.handling.mode=precise) is left
// out under warn, and the source goes on streaming the rows after it, in the same transaction and
// later ones.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
    assert.deepEqual(
      records.map((r) => `${r.value!.op}:${String(r.key!.id)}`),
      ['r:1', 'c:4', 'c:5'],
    );
    const status = await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    assert.equal(status.phase, 'streaming');
  });
});
