import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { InMemorySchemaRegistry, RecordDecoder, RecordEncoder } from '@sluice/schema';
import { Lsn } from '../lsn/lsn';
import { type Relation, UNCHANGED_TOAST } from '../pgoutput/pgoutput-message';
import { PgOid } from '../types/pg-oid';
import { TypeCatalog } from '../types/type-catalog';
import { ChangeEventBuilder, type SourcePosition } from './change-event-builder';
import type { TableColumnFacts } from '../types/table-columns';
import { TableSchema } from './table-schema';
import { TableWithoutKeyError } from './table-without-key-error';

const CATALOG = TypeCatalog.of([]);
const RELATION: Relation = {
  relationId: 16384,
  schema: 'inventory',
  table: 'customers',
  replicaIdentity: 'default',
  columns: [
    { index: 0, name: 'id', typeOid: PgOid.INT4, typeModifier: -1, isKey: true },
    { index: 1, name: 'email', typeOid: PgOid.VARCHAR, typeModifier: 259, isKey: false },
    { index: 2, name: 'balance', typeOid: PgOid.NUMERIC, typeModifier: ((10 << 16) | 2) + 4, isKey: false },
    { index: 3, name: 'note', typeOid: PgOid.TEXT, typeModifier: -1, isKey: false },
  ],
};
const FACTS = { notNull: new Set(['id', 'email']), primaryKey: ['id'] };
const OPTIONS = { topicPrefix: 'dbserver1', database: 'inventory' };
const POSITION: SourcePosition = {
  lsn: Lsn.parse('0/16B3748'),
  txId: 767,
  commitTimeMicros: 1_700_000_000_123_456n,
};
const fixedNow = () => 1_700_000_001_000_000n;

// What Debezium's Postgres connector + Confluent's AvroConverter register for this table (value
// subject), field by field: envelope version 2, Source version 1 with ts_us/ts_ns, snapshot as an
// optional Enum defaulting to "false", event.block version 1.
const DEBEZIUM_ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'dbserver1.inventory.customers',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'int' },
            { name: 'email', type: 'string' },
            {
              name: 'balance',
              type: [
                'null',
                {
                  type: 'bytes',
                  scale: 2,
                  precision: 10,
                  'connect.version': 1,
                  'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
                  'connect.name': 'org.apache.kafka.connect.data.Decimal',
                  logicalType: 'decimal',
                },
              ],
              default: null,
            },
            { name: 'note', type: ['null', 'string'], default: null },
          ],
          'connect.name': 'dbserver1.inventory.customers.Value',
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    {
      name: 'source',
      type: {
        type: 'record',
        name: 'Source',
        namespace: 'io.debezium.connector.postgresql',
        fields: [
          { name: 'version', type: 'string' },
          { name: 'connector', type: 'string' },
          { name: 'name', type: 'string' },
          { name: 'ts_ms', type: 'long' },
          {
            name: 'snapshot',
            type: [
              {
                type: 'string',
                'connect.version': 1,
                'connect.parameters': {
                  allowed:
                    'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental',
                },
                'connect.default': 'false',
                'connect.name': 'io.debezium.data.Enum',
              },
              'null',
            ],
            default: 'false',
          },
          { name: 'db', type: 'string' },
          { name: 'sequence', type: ['null', 'string'], default: null },
          { name: 'ts_us', type: ['null', 'long'], default: null },
          { name: 'ts_ns', type: ['null', 'long'], default: null },
          { name: 'schema', type: 'string' },
          { name: 'table', type: 'string' },
          { name: 'txId', type: ['null', 'long'], default: null },
          { name: 'lsn', type: ['null', 'long'], default: null },
          { name: 'xmin', type: ['null', 'long'], default: null },
          { name: 'origin', type: ['null', 'string'], default: null },
          { name: 'origin_lsn', type: ['null', 'long'], default: null },
        ],
        'connect.version': 1,
        'connect.name': 'io.debezium.connector.postgresql.Source',
      },
    },
    {
      name: 'transaction',
      type: [
        'null',
        {
          type: 'record',
          name: 'block',
          namespace: 'event',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'total_order', type: 'long' },
            { name: 'data_collection_order', type: 'long' },
          ],
          'connect.version': 1,
          'connect.name': 'event.block',
        },
      ],
      default: null,
    },
    { name: 'op', type: 'string' },
    { name: 'ts_ms', type: ['null', 'long'], default: null },
    { name: 'ts_us', type: ['null', 'long'], default: null },
    { name: 'ts_ns', type: ['null', 'long'], default: null },
  ],
  'connect.version': 2,
  'connect.name': 'dbserver1.inventory.customers.Envelope',
};

const DEBEZIUM_KEY = {
  type: 'record',
  name: 'Key',
  namespace: 'dbserver1.inventory.customers',
  fields: [{ name: 'id', type: 'int' }],
  'connect.name': 'dbserver1.inventory.customers.Key',
};

const build = (relation = RELATION, facts: TableColumnFacts = FACTS, options = {}) =>
  TableSchema.build(relation, CATALOG, facts, { ...OPTIONS, ...options });

describe('TableSchema (Debezium key and envelope schemas as AvroConverter writes them)', () => {
  it('names the topic <prefix>.<schema>.<table> and writes the Debezium key and envelope schemas', () => {
    const schema = build();
    assert.equal(schema.topic, 'dbserver1.inventory.customers');
    assert.deepEqual(JSON.parse(schema.keySchemaText), DEBEZIUM_KEY);
    assert.deepEqual(JSON.parse(schema.valueSchemaText), DEBEZIUM_ENVELOPE);
  });

  it('keys by primary key, else by the replica identity index, else refuses naming the table', () => {
    assert.deepEqual(
      build(RELATION, { ...FACTS, primaryKey: [] }, { keyColumns: ['email'] }).keyColumns.map((c) => c.field),
      ['email'],
    );
    const indexed: Relation = {
      ...RELATION,
      replicaIdentity: 'index',
      columns: RELATION.columns.map((c) => ({ ...c, isKey: c.name === 'email' })),
    };
    assert.deepEqual(
      build(indexed, { ...FACTS, primaryKey: [] }).keyColumns.map((c) => c.field),
      ['email'],
    );
    assert.throws(
      () => build(RELATION, { ...FACTS, primaryKey: [] }),
      (e: unknown) =>
        e instanceof TableWithoutKeyError &&
        e instanceof ConfigError &&
        /inventory\.customers/.test(e.message),
    );
    assert.throws(() => build(RELATION, FACTS, { keyColumns: ['nope'] }), ConfigError);
  });

  it('a table without a key under REPLICA IDENTITY FULL has null keys, as Debezium', () => {
    const builder = new ChangeEventBuilder({ nowMicros: fixedNow });
    const full = build({ ...RELATION, replicaIdentity: 'full' }, { ...FACTS, primaryKey: [] });
    assert.equal(full.keyless, true);
    const fullRow = ['1', 'a@x', '10.50', 'hello'];
    const [created] = builder.insert(full, fullRow, POSITION);
    assert.equal(created!.key, null);
    const [updated] = builder.update(full, fullRow, ['1', 'b@x', '10.50', 'hello'], POSITION);
    assert.equal(updated!.value!.op, 'u', 'no key, so never a key change');
    assert.equal(updated!.key, null);
    assert.equal(updated!.value!.before!.email, 'a@x');
    const events = builder.delete(full, fullRow, POSITION);
    assert.deepEqual(
      events.map((e) => [e.key, e.value?.op ?? null]),
      [
        [null, 'd'],
        [null, null],
      ],
    );
    assert.equal(build().keyless, false);
  });

  it('leaves out excluded columns (never the key) and tells whether a new version changes the Avro', () => {
    const first = build();
    const excluded = build(RELATION, FACTS, { excludedColumns: new Set(['note', 'id']) });
    assert.deepEqual(
      excluded.columns.map((c) => c.field),
      ['id', 'email', 'balance'],
    );
    assert.equal(build().avroDiffersFrom(first), false);
    assert.equal(excluded.avroDiffersFrom(first), true);
    assert.equal(first.avroDiffersFrom(undefined), true);
  });

  it('adjusts names Avro cannot hold (schema.name/field.name.adjustment.mode=avro)', () => {
    const odd: Relation = {
      ...RELATION,
      table: 'order-lines',
      columns: [{ ...RELATION.columns[0], name: '1st id' }],
    };
    const schema = build(odd, { notNull: new Set(['1st id']), primaryKey: ['1st id'] });
    assert.equal(schema.topic, 'dbserver1.inventory.order-lines');
    assert.equal((schema.keySchema as { namespace: string }).namespace, 'dbserver1.inventory.order_lines');
    assert.deepEqual(
      schema.columns.map((c) => c.field),
      ['_1st_id'],
    );
  });
});

describe('ChangeEventBuilder', () => {
  const schema = build();
  const builder = new ChangeEventBuilder({ nowMicros: fixedNow, connectorVersion: '3.0.0.Final' });
  const row = ['1', 'a@x', '10.50', 'hello'];

  it('builds a create event with Debezium source fields that encodes with the compiled type', () => {
    const [event] = builder.insert(schema, row, POSITION);
    assert.deepEqual(event.key, { id: 1 });
    const value = event.value!;
    assert.equal(value.op, 'c');
    assert.equal(value.before, null);
    assert.deepEqual(value.after, { id: 1, email: 'a@x', balance: Buffer.from([0x04, 0x1a]), note: 'hello' });
    assert.deepEqual(value.source, {
      version: '3.0.0.Final',
      connector: 'postgresql',
      name: 'dbserver1',
      ts_ms: 1_700_000_000_123,
      snapshot: 'false',
      db: 'inventory',
      sequence: JSON.stringify([null, String(0x16b3748)]),
      ts_us: 1_700_000_000_123_456,
      ts_ns: 1_700_000_000_123_456_000n,
      schema: 'inventory',
      table: 'customers',
      txId: 767,
      lsn: 0x16b3748,
      xmin: null,
      origin: null,
      origin_lsn: null,
    });
    assert.equal(value.ts_ms, 1_700_000_001_000);
    assert.deepEqual(schema.valueCodec.invalidPaths(value), []);
    assert.deepEqual(schema.keyCodec.invalidPaths(event.key), []);
  });

  it('goes through @sluice/schema RecordEncoder/RecordDecoder (Confluent framing) unchanged', async () => {
    const registry = new InMemorySchemaRegistry();
    const encoder = new RecordEncoder(registry);
    const [event] = builder.insert(schema, row, POSITION);
    const bytes = await encoder.encode(`${schema.topic}-value`, schema.valueSchemaText, event.value);
    const decoded = await new RecordDecoder(registry).decode(bytes);
    assert.equal(
      JSON.stringify(decoded.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      JSON.stringify(event.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
  });

  it('a delete is followed by a tombstone (configurable); before holds what the old tuple had', () => {
    const events = builder.delete(schema, ['1', null, null, null], POSITION);
    assert.equal(events.length, 2);
    assert.equal(events[0].value!.op, 'd');
    // REPLICA IDENTITY DEFAULT: NOT NULL email was not sent; as Debezium, before holds the key,
    // the NOT NULL column's type zero ("") and null for the nullable ones.
    assert.deepEqual(events[0].value!.before, { id: 1, email: '', balance: null, note: null });
    assert.deepEqual(events[1], { topic: schema.topic, key: { id: 1 }, value: null, schema });
    const full = builder.delete(schema, row, POSITION)[0].value!;
    assert.deepEqual(full.before, { id: 1, email: 'a@x', balance: Buffer.from([0x04, 0x1a]), note: 'hello' });
    const quiet = new ChangeEventBuilder({ tombstonesOnDelete: false, nowMicros: fixedNow });
    assert.equal(quiet.delete(schema, row, POSITION).length, 1);
  });

  it("a REPLICA IDENTITY DEFAULT before fills NOT NULL columns with their DEFAULT or the type's zero, as Debezium", () => {
    const columns: [string, number, number][] = [
      ['id', PgOid.INT4, -1],
      ['flag', PgOid.BOOL, -1],
      ['small', PgOid.INT2, -1],
      ['day', PgOid.DATE, -1],
      ['at', PgOid.TIMESTAMPTZ, -1],
      ['clock', PgOid.TIMETZ, -1],
      ['span', PgOid.INTERVAL, -1],
      ['raw', PgOid.BYTEA, -1],
      ['doc', PgOid.JSONB, -1],
      ['uid', PgOid.UUID, -1],
      ['exact', PgOid.NUMERIC, ((10 << 16) | 2) + 4],
      ['loose', PgOid.NUMERIC, -1],
      ['spot', PgOid.POINT, -1],
      ['counted', PgOid.INT4, -1],
      ['labelled', PgOid.TEXT, -1],
      ['maybe', PgOid.INT4, -1],
    ];
    const relation: Relation = {
      ...RELATION,
      columns: columns.map(([name, typeOid, typeModifier], index) => ({
        index,
        name,
        typeOid,
        typeModifier,
        isKey: index === 0,
      })),
    };
    const notNull = new Set(columns.map(([name]) => name).filter((n) => n !== 'maybe'));
    const defaults = new Map([
      ['counted', '42'],
      ['labelled', "'dflt'::text"],
    ]);
    const wide = build(relation, { notNull, primaryKey: ['id'], defaults });
    const old = columns.map((_, i) => (i === 0 ? '7' : null));
    const [deleted] = builder.delete(wide, old, POSITION);
    const before = deleted!.value!.before!;
    assert.deepEqual(before, {
      id: 7,
      flag: false,
      small: 0,
      day: 0,
      at: '1970-01-01T00:00:00Z',
      clock: '00:00:00Z',
      span: 0,
      raw: Buffer.alloc(0),
      doc: '',
      uid: '',
      exact: Buffer.from([0]),
      loose: { scale: 0, value: Buffer.from([0]) },
      spot: before.spot,
      counted: 42,
      labelled: 'dflt',
      maybe: null,
    });
    const spot = before.spot as { x: number; y: number; wkb: Buffer; srid: number | null };
    assert.deepEqual([spot.x, spot.y, spot.srid], [0, 0, null]);
    assert.equal(spot.wkb.toString('hex'), '010100000000000000000000000000000000000000');
    // It serialises under the table's schema (a null in a NOT NULL field would not).
    assert.ok(wide.valueCodec.encode(deleted!.value).length > 0);
    // The key change's delete carries the same before.
    const [keyDelete] = builder.update(
      wide,
      old,
      [
        '8',
        't',
        '1',
        '2020-01-01',
        '2020-01-01 00:00:00+00',
        '10:00:00+00',
        '1 day',
        '\\x00',
        '{}',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '1.00',
        '1.5',
        '(1,2)',
        '1',
        'x',
        '1',
      ],
      POSITION,
    );
    assert.equal(keyDelete!.value!.op, 'd');
    assert.equal(keyDelete!.value!.before!.counted, 42);
  });

  it('an update of the key becomes delete + tombstone + create, as Debezium, with its key headers', () => {
    const events = builder.update(schema, ['1', null, null, null], ['2', 'a@x', '1.00', null], POSITION);
    assert.deepEqual(
      events.map((e) => [e.key, e.value?.op ?? null, e.headers]),
      [
        [{ id: 1 }, 'd', { '__debezium.newkey': '{"id":2}' }],
        [{ id: 1 }, null, { '__debezium.newkey': '{"id":2}' }],
        [{ id: 2 }, 'c', { '__debezium.oldkey': '{"id":1}' }],
      ],
    );
    // Other events carry no headers of their own.
    assert.equal(builder.insert(schema, row, POSITION)[0]!.headers, undefined);
    assert.equal(builder.update(schema, null, row, POSITION)[0]!.headers, undefined);
  });

  it('an update under REPLICA IDENTITY FULL carries before; unchanged TOAST never becomes null', () => {
    const [event] = builder.update(schema, row, ['1', 'b@x', '10.50', UNCHANGED_TOAST], POSITION);
    assert.equal(event.value!.op, 'u');
    assert.equal(event.value!.before!.email, 'a@x');
    assert.equal(event.value!.after!.note, 'hello'); // taken from the full old tuple
    const [plain] = builder.update(schema, null, ['1', 'b@x', '10.50', UNCHANGED_TOAST], POSITION);
    assert.equal(plain.value!.before, null);
    assert.equal(plain.value!.after!.note, '__debezium_unavailable_value');
  });

  it('a change with a replication origin carries source.origin and origin_lsn (Debezium 3.6)', () => {
    const [event] = builder.insert(schema, row, {
      ...POSITION,
      origin: { name: 'pg_16999', lsn: Lsn.parse('0/3000060') },
    });
    assert.equal(event.value!.source.origin, 'pg_16999');
    assert.equal(event.value!.source.origin_lsn, 0x3000060);
    assert.deepEqual(schema.valueCodec.invalidPaths(event.value), []);
  });

  it('snapshot reads are op r with the snapshot marker; truncate is op t without key', () => {
    const [read] = builder.read(schema, row, { ...POSITION, snapshot: 'last' });
    assert.equal(read.value!.op, 'r');
    assert.equal(read.value!.source.snapshot, 'last');
    assert.deepEqual(builder.truncate(schema, POSITION), [], 'skipped by default (skipped.operations=t)');
    const all = new ChangeEventBuilder({ nowMicros: fixedNow, skippedOperations: [] });
    const [truncate] = all.truncate(schema, POSITION);
    assert.equal(truncate.key, null);
    assert.equal(truncate.value!.op, 't');
    assert.deepEqual(schema.valueCodec.invalidPaths(truncate.value), []);
  });

  it('bad input names table and column: NULL in NOT NULL, unreadable text, binary values', () => {
    assert.throws(
      () => builder.insert(schema, ['1', null, null, null], POSITION),
      /inventory\.customers\.email/,
    );
    // numeric NaN has no Decimal form: null in a nullable column, with a warning (Debezium's default)
    const nulled: string[] = [];
    const warning = new ChangeEventBuilder({
      onValueNulled: (column, text) => nulled.push(`${column}=${text}`),
    });
    assert.equal(warning.insert(schema, ['1', 'a', 'NaN', null], POSITION)[0].value!.after!.balance, null);
    assert.deepEqual(nulled, ['inventory.customers.balance=NaN']);
    assert.throws(() => builder.insert(schema, ['1', Buffer.from('a'), null, null], POSITION), /binary/i);
  });
});
