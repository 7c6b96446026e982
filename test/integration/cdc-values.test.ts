// Debezium type mapping against the real Postgres of the local stack: a table with every mapped
// type (a user enum, a domain, arrays, edge values, a NULL row) is written, Postgres's own pgoutput
// plugin describes the changes (a temporary slot, protocol 1), and each value is converted, encoded
// with the table's compiled Avro type, decoded and compared with what Debezium emits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import {
  ChangeEventBuilder,
  type InsertMessage,
  loadTableColumnFacts,
  Lsn,
  PgOutputDecoder,
  type Relation,
  TableSchema,
  TypeCatalog,
} from '@sluice/postgres-cdc';
import { stackAddresses, uniqueName } from '@sluice/test-support';

const COLUMNS = `
  id int PRIMARY KEY, si smallint, bi bigint, n numeric(10,2), nv numeric, r real, d double precision, m money,
  b boolean, vc varchar(10), t text, ba bytea, u uuid, j jsonb, x xml, dt date, tm time, tm3 time(3), ttz timetz,
  ts timestamp, ts3 timestamp(3), tstz timestamptz, iv interval, ip inet, mac macaddr, bits bit(3),
  mood MOOD_T, pos POS_T, ia int[], ta text[], na numeric[], ma MOOD_T[], pt point, tsv tsvector, ttz24 timetz,
  bx box, pta point[]`;

const EDGE = `(1, -32768, 9223372036854775807, -12345678.90, 123.4500, 'NaN', '-Infinity', -1234.56,
  true, 'héllo', 'a "q" \\ z', '\\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '<a>1</a>',
  '0044-03-15 BC', '24:00:00', '13:51:30.123', '13:51:30.123789+02',
  '1936-10-25 22:10:12.608', 'infinity', '2016-11-04 13:51:30.123456+02', '-1 years -2 mons +3 days -04:05:06.78',
  '192.168.0.1/24', '08:00:2b:01:02:03', B'101', 'sad', 7,
  '{1,NULL,3}', '{"a b",NULL,"\\"q\\""}', '{1.50,NULL}', '{happy,NULL}', '(1.5,-2)', 'a fat:2 rat', '24:00:00+00',
  '((0,0),(1,1))', '{"(1,2)"}')`;

describe('Debezium value mapping against real Postgres (pgoutput text values)', () => {
  const base = uniqueName('cdc_values').replace(/[^a-z0-9_]/g, '_');
  const table = `${base}_t`;
  const mood = `${base}_mood`;
  const pos = `${base}_pos`;
  const publication = `${base}_pub`;
  const slot = `${base}_slot`;
  let client: Client;
  let relation: Relation;
  const inserts: InsertMessage[] = [];
  let schema: TableSchema;
  let texts: Array<Record<string, string | null>> = [];

  before(async () => {
    const { host, port, user, password } = stackAddresses().postgres;
    client = new Client({ host, port, user, password, database: 'source' });
    await client.connect();
    await client.query(`CREATE TYPE ${mood} AS ENUM ('happy', 'sad')`);
    await client.query(`CREATE DOMAIN ${pos} AS int CHECK (VALUE > 0)`);
    await client.query(`CREATE TABLE ${table} (${COLUMNS.replace(/MOOD_T/g, mood).replace(/POS_T/g, pos)})`);
    await client.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    // Temporary: Postgres drops it when this session ends, even if the suite dies.
    await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput', true)`, [slot]);
    await client.query(`INSERT INTO ${table} VALUES ${EDGE}`);
    await client.query(`INSERT INTO ${table} (id) VALUES (2)`);
    const { rows } = await client.query<{ data: Buffer }>(
      `SELECT data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)`,
      [slot, publication],
    );
    const decoder = new PgOutputDecoder();
    for (const row of rows) {
      const message = decoder.decode(row.data);
      if (message.type === 'relation') relation = message.relation;
      if (message.type === 'insert') inserts.push(message);
    }
    const names = relation.columns.map((c) => `${c.name}::text AS ${c.name}`).join(', ');
    texts = (await client.query(`SELECT ${names} FROM ${table} ORDER BY id`)).rows;
    const catalog = await TypeCatalog.load(client);
    schema = TableSchema.build(relation, catalog, await loadTableColumnFacts(client, relation.relationId), {
      topicPrefix: 'it',
      database: 'source',
    });
  });

  after(async () => {
    if (!client) return;
    try {
      await client.query(
        `SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1`,
        [slot],
      );
      await client.query(`DROP PUBLICATION IF EXISTS ${publication}`);
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.query(`DROP DOMAIN IF EXISTS ${pos}`);
      await client.query(`DROP TYPE IF EXISTS ${mood}`);
    } finally {
      await client.end();
    }
  });

  it('pgoutput sends exactly the text output of each column (what the converters read)', () => {
    assert.equal(inserts.length, 2);
    inserts.forEach((insert, i) => {
      // boolean::text is the cast ('true'), not the output function ('t') pgoutput uses
      relation.columns
        .filter((c) => c.name !== 'b')
        .forEach((c) => assert.equal(insert.newValues[c.index], texts[i][c.name], c.name));
    });
  });

  it('converts every column, encodes and decodes with the compiled Avro type to Debezium values', () => {
    const builder = new ChangeEventBuilder({ nowMicros: () => 0n });
    const position = { lsn: Lsn.parse('0/1'), commitTimeMicros: 0n, txId: 1 };
    const [edge, nulls] = inserts.map((m) => builder.insert(schema, m.newValues, position)[0]);
    const decode = (value: unknown) =>
      plain(schema.valueCodec.decode(schema.valueCodec.encode(value))) as { after: Record<string, unknown> };
    const got = decode(edge.value).after;
    const decimal = (b: unknown) => (b as Buffer).toString('hex');
    assert.deepEqual(
      {
        ...got,
        n: decimal(got.n),
        m: decimal(got.m),
        nv: { ...(got.nv as object), value: decimal((got.nv as { value: Buffer }).value) },
      },
      {
        id: 1,
        si: -32768,
        bi: 9223372036854775807n,
        n: 'b669fd2e',
        m: 'fe1dc0',
        nv: { scale: 2, value: '3039' },
        r: NaN,
        d: -Infinity,
        b: true,
        vc: 'héllo',
        t: 'a "q" \\ z',
        ba: Buffer.from([0, 255]),
        u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        j: '{"k": [1, 2]}',
        x: '<a>1</a>',
        dt: -735_160, // 44 BC = astronomical year -43, proleptic Gregorian
        tm: 86_400_000_000,
        tm3: 49_890_123,
        ttz: '11:51:30.123789Z',
        ts: -1_047_174_587_392_000,
        ts3: 9_223_372_036_825_200n,
        tstz: '2016-11-04T11:51:30.123456Z',
        // Debezium: durationMicros(-1, -2, 3, -4, -5, -6.78, 365.25 / 12)
        iv: Math.trunc(
          (((((-1 * 12 - 2) * (365.25 / 12) + 3) * 24 - 4) * 60 - 5) * 60 + (-6 + -780000 / 1e6)) * 1e6,
        ),
        ip: '192.168.0.1/24',
        mac: '08:00:2b:01:02:03',
        bits: Buffer.from([5]),
        mood: 'sad',
        pos: 7,
        ia: [1, null, 3],
        ta: ['a b', null, '"q"'],
        na: [{ scale: 1, value: Buffer.from([15]) }, null],
        ma: ['happy', null],
        // io.debezium.data.geometry.Point; WKB as Debezium's Point.buildWKBPoint
        pt: {
          x: 1.5,
          y: -2,
          wkb: Buffer.from('0101000000000000000000f83f00000000000000c0', 'hex'),
          srid: null,
        },
        tsv: "'a' 'fat':2 'rat'",
        ttz24: '00:00:00Z',
        // bx (box) and pta (point[]): no mapping in Debezium 3.6, left out
      },
    );
    assert.deepEqual(schema.skippedColumns, ['bx', 'pta']);
    const empty = decode(nulls.value).after;
    assert.equal(empty.id, 2);
    for (const [name, value] of Object.entries(empty)) if (name !== 'id') assert.equal(value, null, name);
  });

  it('maps the catalog types: enum with allowed labels, domain as its base, key from the primary key', () => {
    const field = (name: string) => schema.columns.find((c) => c.field === name)!.converter.schema;
    assert.deepEqual((field('mood') as Record<string, unknown>)['connect.parameters'], {
      allowed: 'happy,sad',
    });
    assert.equal(field('pos'), 'int');
    assert.deepEqual(
      schema.keyColumns.map((c) => c.field),
      ['id'],
    );
    assert.equal(schema.columns.find((c) => c.field === 'id')!.optional, false);
  });
});

// PostGIS and pgvector are mapped by name (Debezium's TypeRegistry does the same); the stack's
// Postgres ships neither, so these run only where the extensions can be created. The decoding is
// covered without them by libs/postgres-cdc/src/values/column-converter.spec.ts.
describe('Debezium mapping of extension types against real Postgres (PostGIS, pgvector)', () => {
  const base = uniqueName('cdc_ext').replace(/[^a-z0-9_]/g, '_');
  let client: Client;
  let available: Set<string>;

  before(async () => {
    const { host, port, user, password } = stackAddresses().postgres;
    client = new Client({ host, port, user, password, database: 'source' });
    await client.connect();
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM pg_available_extensions WHERE name IN ('postgis', 'vector')`,
    );
    available = new Set(rows.map((r) => r.name));
  });

  after(async () => {
    if (!client) return;
    try {
      await client.query(`DROP TABLE IF EXISTS ${base}_g, ${base}_v`);
    } finally {
      await client.end();
    }
  });

  /** The column texts pgoutput would send (their output functions) converted by the table's schema. */
  async function convertRow(table: string): Promise<Record<string, unknown>> {
    const schema = await schemaOf(client, table);
    const names = schema.relation.columns.map((c) => `${c.name}::text AS ${c.name}`).join(', ');
    const text = (await client.query(`SELECT ${names} FROM ${table}`)).rows[0];
    const values = schema.relation.columns.map((c) => text[c.name] as string | null);
    const [event] = new ChangeEventBuilder({ nowMicros: () => 0n }).insert(schema, values, {
      lsn: Lsn.parse('0/1'),
      commitTimeMicros: 0n,
    });
    return (
      plain(schema.valueCodec.decode(schema.valueCodec.encode(event.value))) as {
        after: Record<string, unknown>;
      }
    ).after;
  }

  it('PostGIS geometry/geography → io.debezium.data.geometry.Geometry/Geography {wkb = EWKB, srid}', async (t) => {
    if (!available.has('postgis')) {
      t.skip('the PostGIS extension is not installed in this Postgres (the stack ships without it)');
      return;
    }
    await client.query(`CREATE EXTENSION IF NOT EXISTS postgis`);
    await client.query(`CREATE TABLE ${base}_g (id int PRIMARY KEY, g geometry NOT NULL, gg geography)`);
    await client.query(`INSERT INTO ${base}_g VALUES (1, 'SRID=4326;POINT(1 2)', 'POINT(1 2)')`);
    const row = await convertRow(`${base}_g`);
    const ewkb = '0101000020e6100000000000000000f03f0000000000000040';
    assert.deepEqual(row.g, { wkb: Buffer.from(ewkb, 'hex'), srid: 4326 });
    assert.deepEqual(row.gg, { wkb: Buffer.from(ewkb, 'hex'), srid: 4326 });
  });

  it('pgvector vector/halfvec/sparsevec → DoubleVector/FloatVector/SparseDoubleVector', async (t) => {
    if (!available.has('vector')) {
      t.skip('the pgvector extension is not installed in this Postgres (the stack ships without it)');
      return;
    }
    await client.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    await client.query(
      `CREATE TABLE ${base}_v (id int PRIMARY KEY, v vector(3), h halfvec(2), s sparsevec(5))`,
    );
    await client.query(`INSERT INTO ${base}_v VALUES (1, '[1,2.5,3]', '[1,0.5]', '{1:1.5,3:2}/5')`);
    const row = await convertRow(`${base}_v`);
    assert.deepEqual(row.v, [1, 2.5, 3]);
    assert.deepEqual(row.h, [1, 0.5]);
    assert.deepEqual(row.s, {
      dimensions: 5,
      vector: [
        { key: 1, value: 1.5 },
        { key: 3, value: 2 },
      ],
    });
  });
});

describe('column defaults in the schemas, as Debezium + AvroConverter register them', () => {
  const table = uniqueName('cdc_defaults').replace(/[^a-z0-9_]/g, '_');
  let client: Client;

  before(async () => {
    const { host, port, user, password } = stackAddresses().postgres;
    client = new Client({ host, port, user, password, database: 'source' });
    await client.connect();
    await client.query(
      `CREATE TABLE ${table} (id serial PRIMARY KEY, n int NOT NULL DEFAULT 42, s text DEFAULT 'dflt',
        b boolean DEFAULT true, ts timestamptz DEFAULT now(), d numeric(5,2) DEFAULT 1.5, e int DEFAULT (1 + 2),
        plain text)`,
    );
  });

  after(async () => {
    if (!client) return;
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
    } finally {
      await client.end();
    }
  });

  it('serial → 0, DEFAULT 42, DEFAULT dflt: connect.default on the type, field default, [T, null] when optional', async () => {
    const schema = await schemaOf(client, table);
    const envelope = schema.valueSchema as { fields: Array<{ name: string; type: unknown }> };
    const value = (envelope.fields[0].type as [string, { fields: Array<Record<string, unknown>> }])[1];
    const field = (name: string) => value.fields.find((f) => f.name === name);
    assert.deepEqual(field('id'), { name: 'id', type: { type: 'int', 'connect.default': 0 }, default: 0 });
    assert.deepEqual(field('n'), { name: 'n', type: { type: 'int', 'connect.default': 42 }, default: 42 });
    assert.deepEqual(field('s'), {
      name: 's',
      type: [{ type: 'string', 'connect.default': 'dflt' }, 'null'],
      default: 'dflt',
    });
    assert.deepEqual(field('b'), {
      name: 'b',
      type: [{ type: 'boolean', 'connect.default': true }, 'null'],
      default: true,
    });
    assert.equal(
      (field('ts')!.type as Array<Record<string, unknown>>)[0]['connect.default'],
      '1970-01-01T00:00:00.000000Z',
    );
    assert.equal(field('d')!.default, '\u0000\u0096');
    assert.deepEqual(field('e'), { name: 'e', type: ['null', 'int'], default: null }); // an expression: none
    assert.deepEqual(field('plain'), { name: 'plain', type: ['null', 'string'], default: null });
    // the key's field carries the default too (Debezium builds both from the same columns)
    assert.deepEqual((schema.keySchema as { fields: unknown[] }).fields, [
      { name: 'id', type: { type: 'int', 'connect.default': 0 }, default: 0 },
    ]);
  });
});

/** The TableSchema of `table` from its catalog rows, as a Relation message would describe it. */
async function schemaOf(client: Client, table: string): Promise<TableSchema> {
  const { rows } = await client.query(`SELECT oid FROM pg_class WHERE relname = $1`, [table]);
  const relationId = Number(rows[0].oid);
  const cols = await client.query<{ name: string; type_oid: string; typmod: number }>(
    `SELECT attname AS name, atttypid::text AS type_oid, atttypmod AS typmod FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [relationId],
  );
  const relation: Relation = {
    relationId,
    schema: 'public',
    table,
    replicaIdentity: 'default',
    columns: cols.rows.map((c, index) => ({
      index,
      name: c.name,
      typeOid: Number(c.type_oid),
      typeModifier: c.typmod,
      isKey: c.name === 'id',
    })),
  };
  const catalog = await TypeCatalog.load(client);
  return TableSchema.build(relation, catalog, await loadTableColumnFacts(client, relationId), {
    topicPrefix: 'it',
    database: 'source',
  });
}

function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}
