// Debezium conformance, proven against Debezium itself (#24): the real Debezium Postgres connector
// (3.6.1.Final on Kafka Connect 4.1.2, JsonConverter with schemas) and Sluice's source-postgres
// capture the same tables of the same database — a table of many column types with edge values
// under REPLICA IDENTITY FULL, one under DEFAULT, one without a key (FULL: null keys) and a
// partitioned one published via its root — through a snapshot and then inserts,
// updates, a TOASTed value left unchanged, a key change, deletes, numeric NaN and a truncate. Each
// event is compared field by field: op, key, before/after values per column (and each column's
// schema as AvroConverter would render Debezium's), the source block, the key-change headers.
// Known differences are listed in KNOWN_DIFFERENCES with their reason (and in
// docs/source-postgres-types.md); any other difference fails the suite, and so does a listed one
// that no longer occurs (the list stays true).
//
// Maven fetches Kafka Connect and the connector once (into the stack's cache); without Java 17 or
// Maven Central the suite is skipped, saying why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Consumer, type KafkaMessage } from 'kafkajs';
import { RecordDecoder, ConfluentSchemaRegistryClient, unframeRecord } from '@sluice/schema';
import {
  DebeziumPeer,
  debeziumUnavailable,
  parseConnectJson,
  stackAddresses,
  uniqueName,
} from '@sluice/test-support';
import {
  compareShapes,
  compareValues,
  type Difference,
  type Shape,
  shapeOfAvro,
  shapeOfConnect,
} from './debezium-conformance-compare';
import { SourceTestBed } from './source-postgres-harness';

/**
 * Differences Debezium 3.6.1 and Sluice are known to have, by key (a regular expression over
 * `schema:<table>.<path>`, `value:<table>.<op>.<path>`, `source:<table>.<op>.<field>`), each with
 * why. Keep docs/source-postgres-types.md ("Edge values and where Sluice chose differently") in step.
 */
const KNOWN_DIFFERENCES: { key: RegExp; reason: string }[] = [
  {
    key: /^value:\w+\.\w+\.source\.version$/,
    reason: "source.version names the connector's own version: Debezium's, Sluice's",
  },
  {
    key: /^header:\w+\.\w+\.__debezium\.context\.(connectorLogicalName|taskId|connectorName|runId)$/,
    reason:
      'Debezium 3.x adds its extended context headers (extended.headers.enabled, default true); Sluice does not write them',
  },
  {
    key: /^value:types\.r\.after\.c_date$/,
    reason:
      "a BC date (0044-03-15 BC): Debezium's snapshot reads it through pgjdbc's java.sql.Date and loses the era (-703383, a date in 44 AD); Sluice writes the proleptic Gregorian day (-735160)",
  },
  {
    key: /^value:types\.u\.(before|after)\.c_name$/,
    reason:
      "a `name` column: Debezium's pgoutput decoder writes null for it when streaming (its snapshot writes the text); Sluice writes the text in both",
  },
];

/** A record of either side, schema and value in Connect's terms. */
interface SideRecord {
  offset: number;
  key: unknown;
  keyShape?: Shape;
  value: Record<string, unknown> | null;
  valueShape?: Shape;
  headers: Record<string, string>;
}

const unavailable = debeziumUnavailable();

describe(
  'Debezium conformance: source-postgres beside Debezium 3.6.1 on one database',
  { skip: unavailable && `Debezium cannot run here: ${unavailable}` },
  () => {
    let bed: SourceTestBed;
    let peer: DebeziumPeer | undefined;
    let consumer: Consumer | undefined;
    const debeziumPrefix = () => `${bed.name}_dbz`;
    const records = new Map<string, SideRecord[]>();
    const registryUrl = stackAddresses().registryUrl;
    const decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: registryUrl }));
    const avroSchemas = new Map<number, Promise<unknown>>();
    // Not alphabetical: both snapshot in this (include list) order.
    const tables = ['types', 'plain', 'nokey', 'parts'];

    const avroSchema = (id: number): Promise<unknown> => {
      let schema = avroSchemas.get(id);
      if (!schema) {
        schema = fetch(`${registryUrl}/schemas/ids/${id}`)
          .then((r) => r.json() as Promise<{ schema: string }>)
          .then((body) => JSON.parse(body.schema) as unknown);
        avroSchemas.set(id, schema);
      }
      return schema;
    };

    async function sluiceSide(bytes: Buffer | null): Promise<{ value: unknown; shape?: Shape }> {
      if (bytes === null) return { value: null };
      const { schemaId } = unframeRecord(bytes);
      const shape = shapeOfAvro((await avroSchema(schemaId)) as never, bed.name);
      return { value: structuredClone((await decoder.decode(bytes)).value), shape };
    }

    function debeziumSide(bytes: Buffer | null): { value: unknown; shape?: Shape } {
      if (bytes === null) return { value: null };
      const { schema, payload } = parseConnectJson(bytes.toString('utf8'));
      if (schema === null) return { value: payload };
      return { value: payload, shape: shapeOfConnect(schema, debeziumPrefix()) };
    }

    /** The first record that could not be read (it fails the suite rather than stall it). */
    let readError: Error | undefined;
    const countOf = (topic: string) => records.get(topic)?.length ?? 0;

    /**
     * Waits until both sides wrote at least `counts` records per table; fails at once when the
     * connector's task failed or a record could not be read, naming the counts and Connect's log.
     */
    async function awaitCounts(
      counts: Record<string, number>,
      timeoutMs: number,
      what: string,
    ): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      const progress = () =>
        tables.map(
          (t) =>
            `${t}: sluice ${countOf(bed.topic(t))}, debezium ${countOf(peer!.topic(`${bed.name}.${t}`))}`,
        );
      for (;;) {
        await peer!.assertHealthy();
        if (readError) throw readError;
        const done = tables.every(
          (t) =>
            countOf(bed.topic(t)) >= counts[t]! && countOf(peer!.topic(`${bed.name}.${t}`)) >= counts[t]!,
        );
        if (done) return;
        if (Date.now() > deadline)
          throw new Error(
            `${what}: not within ${timeoutMs} ms (${progress().join('; ')})\n${peer!.logTail(30)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    before(async () => {
      bed = await SourceTestBed.open('it_dbz_conf');
      const s = bed.name;
      await bed.sql('CREATE EXTENSION IF NOT EXISTS hstore').catch(() => undefined);
      await bed.sql(`CREATE TYPE ${s}.mood AS ENUM ('happy', 'sad')`);
      await bed.sql(
        `CREATE TABLE ${s}.types (
         id int PRIMARY KEY,
         c_smallint smallint, c_int int, c_bigint bigint, c_real real, c_double double precision,
         c_numeric numeric(10,2), c_numeric_var numeric, c_money money, c_bool boolean,
         c_char char(3), c_varchar varchar(20), c_text text, c_name name, c_bytea bytea, c_uuid uuid,
         c_json json, c_jsonb jsonb, c_xml xml, c_hstore hstore,
         c_date date, c_time time, c_time3 time(3), c_timetz timetz, c_ts timestamp, c_ts3 timestamp(3),
         c_tstz timestamptz, c_tstz3 timestamptz(3), c_interval interval,
         c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
         c_int4range int4range, c_int8range int8range, c_numrange numrange, c_tsrange tsrange,
         c_tstzrange tstzrange, c_daterange daterange,
         c_bit1 bit(1), c_bit8 bit(8), c_varbit varbit(16), c_enum ${s}.mood,
         c_int_arr int[], c_text_arr text[], c_varchar_arr varchar(10)[], c_numeric_arr numeric(5,2)[],
         c_date_arr date[], c_uuid_arr uuid[], c_bytea_arr bytea[],
         c_point point, c_tsvector tsvector, c_oid oid, c_box box,
         c_dflt_int int NOT NULL DEFAULT 42, c_dflt_text text DEFAULT 'dflt', c_serial serial,
         c_big text)`,
      );
      await bed.sql(`ALTER TABLE ${s}.types REPLICA IDENTITY FULL`);
      await bed.sql(
        `CREATE TABLE ${s}.plain (id int PRIMARY KEY, n int NOT NULL DEFAULT 7, s text NOT NULL,
         t timestamptz NOT NULL, d numeric(6,2) NOT NULL, note text, big text)`,
      );
      // Hex digits do not compress: 6,400 of them are stored out of line (TOAST).
      const big = `(SELECT string_agg(md5(i::text), '') FROM generate_series(1, 200) i)`;
      await bed.sql(
        `INSERT INTO ${s}.types VALUES (1, 1, 2, 3, 1.5, 2.25, 12.34, 123.4500, 12.34, true,
         'ab', 'varchar', 'text', 'name', '\\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
         '{"a": 1}', '{"b": [1, 2]}', '<x>1</x>', 'a=>1, b=>NULL',
         '2016-11-04', '13:51:30.123456', '13:51:30.123', '13:51:30.123789+02',
         '1936-10-25 22:10:12.608379', '1936-10-25 22:10:12.608', '2020-04-01 11:51:02+00',
         '2020-04-01 11:51:02.123+00', '1 year 2 mons 3 days 04:05:06.78',
         '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
         '[1,5)', '[1,10)', '[1.5,2.5]', '[2020-01-01 00:00,2020-01-02 00:00)',
         '[2020-01-01 00:00+00,2020-01-02 00:00+00)', '[2020-01-01,2020-02-01)',
         B'1', B'10101010', B'101', 'happy',
         '{1,NULL,3}', '{a,"b c",NULL}', '{x,y}', '{1.50,NULL}', '{2020-01-01}',
         '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{"\\\\x01"}',
         '(1.5,-2)', 'a fat cat', 42, '((1,1),(0,0))', DEFAULT, DEFAULT, DEFAULT, ${big})`,
      );
      await bed.sql(`INSERT INTO ${s}.types (id) VALUES (2)`);
      await bed.sql(
        `INSERT INTO ${s}.types (id, c_smallint, c_int, c_bigint, c_real, c_double, c_numeric, c_numeric_var,
         c_money, c_date, c_time, c_timetz, c_ts, c_tstz, c_interval, c_varbit, c_int_arr)
       VALUES (3, -32768, 2147483647, 9223372036854775807, 'NaN', '-Infinity', -0.01, 'NaN',
         -92233720368547758.08, '0044-03-15 BC', '24:00:00', '24:00:00+00',
         '4713-12-31 23:59:59.999999 BC', '2020-04-01 11:51:02.5+05:30', '-1 days -02:00:00',
         B'1111000011110000', '{}')`,
      );
      await bed.sql(
        `INSERT INTO ${s}.plain VALUES (1, 1, 'one', '2020-01-01 00:00+00', 1.00, 'n', ${big}),
         (2, 2, 'two', '2020-01-02 00:00+00', 2.00, NULL, NULL)`,
      );

      // No key under REPLICA IDENTITY FULL: null keys on both sides.
      await bed.sql(`CREATE TABLE ${s}.nokey (code text NOT NULL, qty int)`);
      await bed.sql(`ALTER TABLE ${s}.nokey REPLICA IDENTITY FULL`);
      await bed.sql(`INSERT INTO ${s}.nokey VALUES ('a', 1), ('b', 2)`);
      // Partitioned, published via its root (Debezium's publish.via.partition.root): one topic.
      await bed.sql(
        `CREATE TABLE ${s}.parts (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)`,
      );
      await bed.sql(`CREATE TABLE ${s}.parts_eu PARTITION OF ${s}.parts FOR VALUES IN ('eu')`);
      await bed.sql(`CREATE TABLE ${s}.parts_us PARTITION OF ${s}.parts FOR VALUES IN ('us')`);
      await bed.sql(`INSERT INTO ${s}.parts VALUES (1, 'eu', 'x'), (2, 'us', 'y')`);

      // Both sources start on the same rows: each its own slot, snapshot and topics.
      const tableNames = tables.map((t) => `${s}.${t}`);
      const [started] = await Promise.all([
        DebeziumPeer.start({
          name: debeziumPrefix(),
          tables: tableNames,
          settings: {
            'skipped.operations': 'none',
            'snapshot.mode': 'initial',
            'publish.via.partition.root': 'true',
            'column.propagate.source.type': `${s}\\.types\\.c_(varchar|serial|timetz)`,
            // Every column's source type, compared for every type.
            'datatype.propagate.source.type': '.+',
          },
        }),
        bed.startApp({
          tables: { include: tableNames },
          columns: {
            propagateSourceType: ['c_varchar', 'c_serial', 'c_timetz'].map((c) => `${s}.types.${c}`),
            propagateSourceDataTypes: ['*.*.*'],
          },
          topics: { partitions: 1, replicationFactor: 1 },
          events: { skippedOperations: 'none' },
        }),
      ]);
      peer = started;
      const topics = tables.flatMap((t) => [bed.topic(t), peer!.topic(`${s}.${t}`)]);
      await bed.waitFor(
        async () => {
          const admin = bed.kafka.admin();
          await admin.connect();
          try {
            const existing = new Set(await admin.listTopics());
            return topics.every((t) => existing.has(t)) || undefined;
          } finally {
            await admin.disconnect();
          }
        },
        90_000,
        "both sides' topics",
      );
      consumer = bed.kafka.consumer({ groupId: uniqueName('it-dbz-conformance'), maxWaitTimeInMs: 200 });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, message }) => {
          try {
            await keep(topic, message);
          } catch (error) {
            readError ??= error as Error;
          }
        },
      });
      async function keep(topic: string, message: KafkaMessage): Promise<void> {
        {
          const debezium = topic.startsWith(`${debeziumPrefix()}.`);
          const key = debezium ? debeziumSide(message.key) : await sluiceSide(message.key);
          const value = debezium ? debeziumSide(message.value) : await sluiceSide(message.value);
          const list = records.get(topic) ?? [];
          list.push({
            offset: Number(message.offset),
            key: key.value,
            keyShape: key.shape,
            value: value.value as Record<string, unknown> | null,
            valueShape: value.shape,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, v]) => [name, String(v)]),
            ),
          });
          records.set(topic, list);
        }
      }
      await awaitCounts({ types: 3, plain: 2, nokey: 2, parts: 2 }, 120_000, 'both snapshots');

      // Streaming: the same changes reach both slots.
      await bed.sql(
        `INSERT INTO ${s}.types (id, c_numeric, c_date, c_timetz, c_tstz, c_interval, c_text_arr, c_bool)
       VALUES (4, 'NaN', '0044-03-15 BC', '00:00:00-03', '21016-01-01 00:00+00', '00:00:00', '{}', false)`,
      );
      await bed.sql(`UPDATE ${s}.types SET c_int = 99, c_text = 'changed' WHERE id = 1`);
      await bed.sql(`UPDATE ${s}.types SET id = 20 WHERE id = 2`);
      await bed.sql(`DELETE FROM ${s}.types WHERE id = 3`);
      await bed.sql(`UPDATE ${s}.plain SET note = 'x' WHERE id = 1`);
      await bed.sql(`DELETE FROM ${s}.plain WHERE id = 2`);
      await bed.sql(`UPDATE ${s}.plain SET id = 10 WHERE id = 1`);
      await bed.sql(`TRUNCATE ${s}.plain`);
      await bed.sql(`INSERT INTO ${s}.nokey VALUES ('c', 3)`);
      await bed.sql(`UPDATE ${s}.nokey SET qty = 20 WHERE code = 'b'`);
      await bed.sql(`DELETE FROM ${s}.nokey WHERE code = 'a'`);
      await bed.sql(`INSERT INTO ${s}.parts VALUES (3, 'eu', 'z')`);
      await bed.sql(`UPDATE ${s}.parts SET v = 'w' WHERE id = 2`);
      await bed.sql(`DELETE FROM ${s}.parts WHERE id = 1`);
      // types: 3 reads + c + u + (d, tombstone, c) + (d, tombstone); plain: 2 reads + u + (d,
      // tombstone) + (d, tombstone, c) + t; nokey and parts: 2 reads + c + u + (d, tombstone).
      await awaitCounts(
        { types: 3 + 1 + 1 + 3 + 2, plain: 2 + 1 + 2 + 3 + 1, nokey: 2 + 1 + 1 + 2, parts: 2 + 1 + 1 + 2 },
        90_000,
        'every change on both sides',
      );
    });

    after(async () => {
      await consumer?.disconnect().catch(() => undefined);
      await peer?.stop();
      await bed?.cleanup();
    });

    /** Every difference of one table's events, in topic order, paired one to one. */
    function differences(table: string): Difference[] {
      const out: Difference[] = [];
      const ours = records.get(bed.topic(table)) ?? [];
      const theirs = records.get(peer!.topic(`${bed.name}.${table}`)) ?? [];
      if (ours.length !== theirs.length)
        out.push({
          key: `count:${table}`,
          detail: `debezium ${theirs.length} records, sluice ${ours.length}`,
        });
      for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
        const d = theirs[i]!;
        const o = ours[i]!;
        const op = (d.value?.op as string | undefined) ?? 'tombstone';
        const at = `${table}#${i} (${op})`;
        if (d.keyShape && o.keyShape) compareShapes(d.keyShape, o.keyShape, `${table}.key`, out);
        else if (Boolean(d.keyShape) !== Boolean(o.keyShape))
          out.push({ key: `schema:${table}.key`, detail: `${at}: key schema on one side only` });
        if (d.keyShape && o.keyShape)
          compareValues(d.key, d.keyShape, o.key, o.keyShape, `${table}.${op}.key`, at, out);
        else if (JSON.stringify(d.key) !== JSON.stringify(o.key))
          out.push({
            key: `value:${table}.${op}.key`,
            detail: `${at}: debezium ${JSON.stringify(d.key)}, sluice ${JSON.stringify(o.key)}`,
          });
        for (const header of new Set(
          [...Object.keys(d.headers), ...Object.keys(o.headers)].filter((h) => h.startsWith('__debezium')),
        ))
          if (d.headers[header] !== o.headers[header])
            out.push({
              key: `header:${table}.${op}.${header}`,
              detail: `${at}: debezium ${d.headers[header]}, sluice ${o.headers[header]}`,
            });
        if ((d.value === null) !== (o.value === null)) {
          out.push({ key: `value:${table}.${op}(tombstone)`, detail: `${at}: a tombstone on one side only` });
          continue;
        }
        if (d.value === null || o.value === null) continue;
        if (d.value.op !== o.value.op)
          out.push({
            key: `value:${table}.op`,
            detail: `${at}: debezium ${String(d.value.op)}, sluice ${String(o.value.op)}`,
          });
        const dShape = d.valueShape!;
        const oShape = o.valueShape!;
        // The envelope's schema per event and op (a snapshot read's may differ from a streamed change's).
        compareShapes(dShape, oShape, `${table}.${op}`, out);
        const field = (shape: Shape, name: string) => shape.fields!.find((f) => f.name === name)?.shape;
        for (const part of ['before', 'after']) {
          const ds = field(dShape, part);
          const os = field(oShape, part);
          if (ds && os)
            compareValues(d.value[part], ds, o.value[part], os, `${table}.${op}.${part}`, at, out);
        }
        compareSource(table, op, at, d, o, out);
        for (const part of ['transaction'])
          if (JSON.stringify(d.value[part]) !== JSON.stringify(o.value[part]))
            out.push({ key: `value:${table}.${op}.${part}`, detail: `${at}: differs` });
      }
      return out;
    }

    /**
     * The source block, field by field. A snapshot read's txId, lsn and times are each side's own
     * snapshot (two slots, two transactions), and `name` is the topic prefix: not compared.
     */
    function compareSource(
      table: string,
      op: string,
      at: string,
      d: SideRecord,
      o: SideRecord,
      out: Difference[],
    ): void {
      const ds = d.value!.source as Record<string, unknown>;
      const os = o.value!.source as Record<string, unknown>;
      const sourceShape = (side: SideRecord) =>
        side.valueShape!.fields!.find((f) => f.name === 'source')!.shape;
      const skip = new Set([
        'name',
        ...(op === 'r' ? ['txId', 'lsn', 'ts_ms', 'ts_us', 'ts_ns', 'sequence', 'xmin'] : []),
      ]);
      for (const f of sourceShape(d).fields!) {
        if (skip.has(f.name)) continue;
        if (f.name === 'sequence' && ds.sequence !== os.sequence && ownSlotStart(ds, os)) continue;
        const other = sourceShape(o).fields!.find((g) => g.name === f.name);
        if (!other) continue; // reported with the schema
        compareValues(
          ds[f.name],
          f.shape,
          os[f.name],
          other.shape,
          `${table}.${op}.source.${f.name}`,
          at,
          out,
        );
      }
    }

    /**
     * The first change streamed after the snapshot has no commit before it on its slot, so its
     * sequence[0] is each side's own (Sluice: its slot's snapshot point; Debezium: that or the
     * change's own LSN, depending on timing): only sequence[1] is compared for it.
     */
    function ownSlotStart(d: Record<string, unknown>, o: Record<string, unknown>): boolean {
      const dThis = (JSON.parse(String(d.sequence)) as string[])[1];
      const oThis = (JSON.parse(String(o.sequence)) as string[])[1];
      return dThis === oThis && Number(d.lsn) === firstStreamedLsn();
    }

    function firstStreamedLsn(): number {
      const lsns = tables.flatMap((table) =>
        (records.get(peer!.topic(`${bed.name}.${table}`)) ?? [])
          .filter((r) => r.value !== null && r.value.op !== 'r')
          .map((r) => Number((r.value!.source as { lsn: unknown }).lsn)),
      );
      return Math.min(...lsns);
    }

    it('reads every event of every table on both sides', () => {
      for (const table of tables) {
        assert.ok(countOf(bed.topic(table)) > 0, `sluice wrote ${table}`);
        assert.equal(
          countOf(bed.topic(table)),
          countOf(peer!.topic(`${bed.name}.${table}`)),
          `${table}: as many records on both sides`,
        );
      }
    });

    it('differs from Debezium only where KNOWN_DIFFERENCES says why', () => {
      const all = tables.flatMap((t) => differences(t));
      const unknown = new Map<string, string>();
      const seen = new Set<RegExp>();
      for (const difference of all) {
        const known = KNOWN_DIFFERENCES.find((k) => k.key.test(difference.key));
        if (known) seen.add(known.key);
        else if (!unknown.has(difference.key)) unknown.set(difference.key, difference.detail);
      }
      const report = [...unknown].map(([key, detail]) => `  ${key}\n      ${detail}`).join('\n');
      assert.equal(unknown.size, 0, `differences not in KNOWN_DIFFERENCES:\n${report}`);
      const stale = KNOWN_DIFFERENCES.filter((k) => !seen.has(k.key)).map((k) => String(k.key));
      assert.deepEqual(stale, [], 'known differences that no longer occur: remove them');
    });
  },
);
