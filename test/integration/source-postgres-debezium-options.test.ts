// source-postgres with Debezium's options set, against the real Postgres and Kafka: skipped.operations,
// decimal/interval/hstore handling modes, include.unknown.datatypes, message.key.columns (a table
// without a primary key), column.propagate.source.type, and a partitioned table published via its
// root (publish_via_partition_root): one topic, the snapshot read once through the root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stackAddresses } from '@sluice/test-support';
import { type SourceApp, SourceTestBed, type TopicReader, type TopicRecord } from './source-postgres-harness';

describe('source-postgres with Debezium options', () => {
  let bed: SourceTestBed;
  let app: SourceApp;
  let reader: TopicReader;
  const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');
  const of = (table: string): TopicRecord[] => reader.of(bed.topic(table));

  before(async () => {
    bed = await SourceTestBed.open('it_src_dbz_opts');
    // Another suite may create it at the same moment; either way it exists afterwards.
    await bed.sql('CREATE EXTENSION IF NOT EXISTS hstore').catch(() => undefined);
    await bed.sql(
      `CREATE TABLE ${bed.table('vals')} (id int PRIMARY KEY, code varchar(20) NOT NULL, amount numeric(10,2),
         free numeric, span interval, tags hstore, shape box)`,
    );
    await bed.sql(`CREATE TABLE ${bed.table('nokey')} (code text NOT NULL, qty int)`);
    await bed.sql(
      `CREATE TABLE ${bed.table('parts')} (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
    );
    await bed.sql(
      `CREATE TABLE ${bed.table('parts_eu')} PARTITION OF ${bed.table('parts')} FOR VALUES IN ('eu')`,
    );
    await bed.sql(
      `CREATE TABLE ${bed.table('parts_us')} PARTITION OF ${bed.table('parts')} FOR VALUES IN ('us')`,
    );
    await bed.sql(`INSERT INTO ${bed.table('parts')} VALUES (1, 'eu'), (2, 'us')`);
    // Keyless and partitioned: the snapshot pages by (tableoid, ctid), ctids repeating across partitions.
    await bed.sql(`CREATE TABLE ${bed.table('logs')} (region text, msg text) PARTITION BY LIST (region)`);
    await bed.sql(
      `CREATE TABLE ${bed.table('logs_eu')} PARTITION OF ${bed.table('logs')} FOR VALUES IN ('eu')`,
    );
    await bed.sql(
      `CREATE TABLE ${bed.table('logs_us')} PARTITION OF ${bed.table('logs')} FOR VALUES IN ('us')`,
    );
    await bed.sql(`ALTER TABLE ${bed.table('logs')} REPLICA IDENTITY FULL`);
    await bed.sql(
      `INSERT INTO ${bed.table('logs')} VALUES ('eu', 'e1'), ('eu', 'e2'), ('us', 'u1'), ('us', 'u2')`,
    );
    app = await bed.startApp({
      tables: { include: [`${bed.name}.*`], keyColumns: `${bed.name}.nokey:code` },
      columns: { propagateSourceType: [`${bed.name}.vals.code`, `${bed.name}.vals.amount`] },
      types: {
        decimalHandlingMode: 'string',
        intervalHandlingMode: 'string',
        hstoreHandlingMode: 'map',
        includeUnknownDatatypes: true,
      },
      events: { skippedOperations: 'u,t' },
      snapshot: { chunkSize: 1 },
    });
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming', 60_000);
    reader = await bed.consume([
      bed.topic('vals'),
      bed.topic('nokey'),
      bed.topic('parts'),
      bed.topic('logs'),
    ]);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it("a partitioned table is one topic under the root's name: the snapshot reads each row once, partitions stream into it", async () => {
    await bed.sql(`INSERT INTO ${bed.table('parts')} VALUES (3, 'us'), (4, 'eu')`);
    await reader.until(() => of('parts').length >= 4);
    const events = of('parts').map((r) => `${r.value!.op}:${r.key!.id}:${r.value!.source.table}`);
    assert.deepEqual(events.sort(), ['c:3:parts', 'c:4:parts', 'r:1:parts', 'r:2:parts']);
    const [{ via_root }] = await bed.sql<{ via_root: boolean }>(
      'SELECT pubviaroot AS via_root FROM pg_publication WHERE pubname = $1',
      [bed.name],
    );
    assert.equal(via_root, true);
    await reader.until(() => of('logs').length >= 4);
    assert.deepEqual(
      of('logs')
        .map((r) => `${r.value!.op}:${r.key}:${r.value!.after!.msg}`)
        .sort(),
      ['r:null:e1', 'r:null:e2', 'r:null:u1', 'r:null:u2'],
    );
    const admin = bed.kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    const partitionTopics = topics.filter(
      (t) => t.startsWith(`${bed.topic('parts')}_`) || t.startsWith(`${bed.topic('logs')}_`),
    );
    assert.deepEqual(partitionTopics, [], 'no partition topics');
  });

  it('numeric, interval and hstore as their string/map modes; an unmapped type (box) as the bytes of its text (as pgjdbc writes it)', async () => {
    await bed.sql(
      `INSERT INTO ${bed.table('vals')} VALUES (1, 'a', 12.5, 'NaN', '1 year 2 mons -3 days 04:05:06.5',
         '"k"=>"v", "n"=>NULL', '((1,1),(0,0))'),
         (2, 'b', NULL, '-Infinity', NULL, NULL, NULL)`,
    );
    await reader.until(() => of('vals').length >= 2);
    const after = (id: number) => of('vals').find((r) => r.key?.id === id)!.value!.after!;
    const [one, two] = [after(1), after(2)];
    assert.equal(one!.amount, '12.50');
    assert.equal(one!.free, 'NAN');
    assert.equal(two!.free, 'NEGATIVE_INFINITY');
    assert.equal(one!.span, 'P1Y2M-3DT4H5M6.5S');
    assert.deepEqual(one!.tags, { k: 'v', n: null });
    assert.equal(text(one!.shape), '(1.0,1.0),(0.0,0.0)', "pgjdbc's PGbox text, as Debezium");
  });

  it('the propagated columns carry __debezium.source.column.* parameters in the registered schema', async () => {
    const subject = `${bed.topic('vals')}-value`;
    const response = await fetch(`${stackAddresses().registryUrl}/subjects/${subject}/versions/latest`);
    const schema = JSON.parse(((await response.json()) as { schema: string }).schema) as {
      fields: Array<{ name: string; type: unknown }>;
    };
    const value = (schema.fields[0]!.type as Array<{ fields: Array<{ name: string; type: unknown }> }>)[1]!;
    const parameters = (name: string) => {
      const type = value.fields.find((f) => f.name === name)!.type;
      const branch = Array.isArray(type) ? type.find((t) => t !== 'null') : type;
      return typeof branch === 'object'
        ? (branch as Record<string, unknown>)['connect.parameters']
        : undefined;
    };
    assert.deepEqual(parameters('code'), {
      '__debezium.source.column.type': 'VARCHAR',
      '__debezium.source.column.length': '20',
      '__debezium.source.column.scale': '0',
      '__debezium.source.column.name': 'code',
    });
    assert.deepEqual(parameters('amount'), {
      '__debezium.source.column.type': 'NUMERIC',
      '__debezium.source.column.length': '10',
      '__debezium.source.column.scale': '2',
      '__debezium.source.column.name': 'amount',
    });
    assert.equal(parameters('free'), undefined);
  });

  it('a table without a primary key is keyed by its configured key columns', async () => {
    await bed.sql(`INSERT INTO ${bed.table('nokey')} VALUES ('x1', 5)`);
    await reader.until(() => of('nokey').length >= 1);
    assert.deepEqual(of('nokey')[0]!.key, { code: 'x1' });
  });

  it('skipped operations (u,t) are not published; the others are, in order', async () => {
    await bed.sql(`UPDATE ${bed.table('vals')} SET code = 'changed' WHERE id = 1`);
    await bed.sql(`TRUNCATE ${bed.table('nokey')}`);
    await bed.sql(`DELETE FROM ${bed.table('vals')} WHERE id = 2`);
    await bed.sql(`INSERT INTO ${bed.table('nokey')} VALUES ('x2', 6)`);
    await reader.until(
      () => of('vals').some((r) => r.value?.op === 'd') && of('nokey').some((r) => r.key?.code === 'x2'),
    );
    // The delete came after the update and the truncate: had they been published, they would be here.
    const ops = (id: number) =>
      of('vals')
        .filter((r) => r.key?.id === id)
        .map((r) => r.value?.op ?? 'tombstone');
    assert.deepEqual(ops(1), ['c']);
    assert.deepEqual(ops(2), ['c', 'd', 'tombstone']);
    assert.ok(!of('nokey').some((r) => r.value?.op === 't'));
  });
});
