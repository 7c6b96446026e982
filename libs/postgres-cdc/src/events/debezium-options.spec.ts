import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { Relation } from '../pgoutput/pgoutput-message';
import { PgOid } from '../types/pg-oid';
import type { PgType } from '../types/pg-type';
import { TypeCatalog } from '../types/type-catalog';
import { ChangeEventBuilder, type SourcePosition } from './change-event-builder';
import { TableSchema } from './table-schema';

// Debezium's options on the event-building path: skipped.operations, message.key.columns,
// column.propagate.source.type, decimal.handling.mode with a NOT NULL numeric.

const builtin = (oid: number, name: string): PgType => ({
  oid,
  schema: 'pg_catalog',
  name,
  kind: 'base',
  elementOid: 0,
  baseOid: 0,
  baseTypeModifier: -1,
  enumLabels: [],
});
const CATALOG = TypeCatalog.of([
  builtin(PgOid.INT4, 'int4'),
  builtin(PgOid.VARCHAR, 'varchar'),
  builtin(PgOid.NUMERIC, 'numeric'),
  builtin(PgOid.TEXT, 'text'),
  builtin(PgOid.TIMESTAMPTZ, 'timestamptz'),
]);
const RELATION: Relation = {
  relationId: 16400,
  schema: 'shop',
  table: 'orders',
  replicaIdentity: 'full',
  columns: [
    { index: 0, name: 'id', typeOid: PgOid.INT4, typeModifier: -1, isKey: true },
    { index: 1, name: 'code', typeOid: PgOid.VARCHAR, typeModifier: 128 + 4, isKey: true },
    { index: 2, name: 'amount', typeOid: PgOid.NUMERIC, typeModifier: ((5 << 16) | 2) + 4, isKey: true },
    { index: 3, name: 'note', typeOid: PgOid.TEXT, typeModifier: -1, isKey: true },
  ],
};
const FACTS = {
  notNull: new Set(['id', 'code', 'amount']),
  primaryKey: ['id'],
  defaults: new Map([['id', "nextval('shop.orders_id_seq'::regclass)"]]),
};
const OPTIONS = { topicPrefix: 'p', database: 'db' };
const POSITION: SourcePosition = { lsn: Lsn.parse('0/1'), commitTimeMicros: 1_000_000n };
const ROW = ['1', 'A', '1.50', 'n'];
const ROW2 = ['2', 'A', '1.50', 'n'];

describe('skipped.operations', () => {
  const schema = TableSchema.build(RELATION, CATALOG, FACTS, OPTIONS);
  const ops = (builder: ChangeEventBuilder) => [
    ...builder.insert(schema, ROW, POSITION),
    ...builder.update(schema, ROW, ['1', 'B', '1.50', 'n'], POSITION),
    ...builder.update(schema, ROW, ROW2, POSITION), // a key change: delete, tombstone, create
    ...builder.delete(schema, ROW, POSITION),
    ...builder.truncate(schema, POSITION),
    ...builder.read(schema, ROW, POSITION),
  ];
  const opOf = (e: { value: { op: string } | null }) => e.value?.op ?? 'tombstone';

  it("default 't': truncates are not published, everything else is", () => {
    assert.deepEqual(ops(new ChangeEventBuilder()).map(opOf), [
      'c',
      'u',
      'd',
      'tombstone',
      'c',
      'd',
      'tombstone',
      'r',
    ]);
  });

  it("'none' (an empty list) publishes truncates too", () => {
    assert.deepEqual(
      ops(new ChangeEventBuilder({ skippedOperations: [] }))
        .map(opOf)
        .slice(-2),
      ['t', 'r'],
    );
  });

  it('a skipped delete takes its tombstone along, also in a key change; reads are never skipped', () => {
    assert.deepEqual(ops(new ChangeEventBuilder({ skippedOperations: ['d', 't'] })).map(opOf), [
      'c',
      'u',
      'c',
      'r',
    ]);
    assert.deepEqual(ops(new ChangeEventBuilder({ skippedOperations: ['c', 'u'] })).map(opOf), [
      'd',
      'tombstone',
      'd',
      'tombstone',
      't',
      'r',
    ]);
  });
});

describe('message.key.columns', () => {
  it('keys events by the configured columns, in their order, instead of the primary key', () => {
    const schema = TableSchema.build(RELATION, CATALOG, FACTS, { ...OPTIONS, keyColumns: ['code', 'id'] });
    assert.deepEqual(
      (schema.keySchema as { fields: Array<{ name: string }> }).fields.map((f) => f.name),
      ['code', 'id'],
    );
    const [event] = new ChangeEventBuilder().insert(schema, ROW, POSITION);
    assert.deepEqual(event.key, { code: 'A', id: 1 });
  });

  it('a key column the table lacks is a ConfigError naming tables.keyColumns', () => {
    assert.throws(
      () => TableSchema.build(RELATION, CATALOG, FACTS, { ...OPTIONS, keyColumns: ['sku'] }),
      (e: unknown) =>
        e instanceof ConfigError && e.path === 'tables.keyColumns' && /shop\.orders.*sku/.test(e.message),
    );
  });

  it('keys a table without a primary key (a keyless table is otherwise refused under DEFAULT)', () => {
    const relation = { ...RELATION, replicaIdentity: 'default' as const };
    const facts = { ...FACTS, primaryKey: [] };
    const schema = TableSchema.build(relation, CATALOG, facts, { ...OPTIONS, keyColumns: ['code'] });
    assert.equal(schema.keyless, false);
    assert.deepEqual(new ChangeEventBuilder().insert(schema, ROW, POSITION)[0].key, { code: 'A' });
  });
});

describe('column.propagate.source.type', () => {
  const schema = TableSchema.build(RELATION, CATALOG, FACTS, {
    ...OPTIONS,
    propagateSourceType: new Set(['id', 'code', 'amount', 'note']),
  });
  const fields = (schema.valueSchema as { fields: Array<{ type: unknown }> }).fields;
  const value = (fields[0].type as unknown[])[1] as { fields: Array<{ name: string; type: unknown }> };
  const parameters = (name: string) => {
    const field = value.fields.find((f) => f.name === name)!;
    const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
    return (type as Record<string, unknown>)['connect.parameters'];
  };

  it('adds type, length, scale and name as Debezium (pgjdbc precision and scale), after existing parameters', () => {
    assert.deepEqual(parameters('id'), {
      '__debezium.source.column.type': 'INT4',
      '__debezium.source.column.length': '10',
      '__debezium.source.column.scale': '0',
      '__debezium.source.column.name': 'id',
    });
    assert.deepEqual(parameters('code'), {
      '__debezium.source.column.type': 'VARCHAR',
      '__debezium.source.column.length': '128',
      '__debezium.source.column.scale': '0',
      '__debezium.source.column.name': 'code',
    });
    assert.deepEqual(Object.entries(parameters('amount') as object), [
      ['scale', '2'],
      ['connect.decimal.precision', '5'],
      ['__debezium.source.column.type', 'NUMERIC'],
      ['__debezium.source.column.length', '5'],
      ['__debezium.source.column.scale', '2'],
      ['__debezium.source.column.name', 'amount'],
    ]);
    assert.deepEqual(parameters('note'), {
      '__debezium.source.column.type': 'TEXT',
      '__debezium.source.column.length': '2147483647',
      '__debezium.source.column.scale': '0',
      '__debezium.source.column.name': 'note',
    });
  });

  it("not on the key schema (Debezium's column mappers shape the value schema only); events still encode", () => {
    const key = (schema.keySchema as { fields: Array<{ type: unknown }> }).fields[0].type;
    assert.deepEqual(key, { type: 'int', 'connect.default': 0 });
    const [event] = new ChangeEventBuilder().insert(schema, ROW, POSITION);
    assert.deepEqual(schema.valueCodec.invalidPaths(event.value), []);
  });
});

describe('column.propagate.source.type in a snapshot (Debezium reads JDBC metadata there)', () => {
  const relation: Relation = {
    ...RELATION,
    columns: [
      ...RELATION.columns,
      { index: 4, name: 'free', typeOid: PgOid.NUMERIC, typeModifier: -1, isKey: false },
      { index: 5, name: 'mood', typeOid: 70001, typeModifier: -1, isKey: false },
    ],
  };
  const catalog = TypeCatalog.of([
    builtin(PgOid.INT4, 'int4'),
    builtin(PgOid.VARCHAR, 'varchar'),
    builtin(PgOid.NUMERIC, 'numeric'),
    builtin(PgOid.TEXT, 'text'),
    { ...builtin(70001, 'mood'), schema: 'shop', kind: 'enum', enumLabels: ['happy', 'sad'] },
  ]);
  const build = (columnMetadata: 'snapshot' | 'streaming') => {
    const schema = TableSchema.build(relation, catalog, FACTS, {
      ...OPTIONS,
      propagateSourceType: new Set(['id', 'free', 'mood']),
      columnMetadata,
    });
    const value = (
      (schema.valueSchema as { fields: Array<{ type: unknown }> }).fields[0].type as unknown[]
    )[1] as {
      fields: Array<{ name: string; type: unknown }>;
    };
    return (name: string) => {
      const field = value.fields.find((f) => f.name === name)!;
      const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
      return (type as Record<string, unknown>)['connect.parameters'] as Record<string, string>;
    };
  };

  it('snapshot: SERIAL, numeric length 0 and no scale, a type outside the search path as "SCHEMA"."NAME"', () => {
    const parameters = build('snapshot');
    assert.equal(parameters('id')['__debezium.source.column.type'], 'SERIAL');
    assert.deepEqual(parameters('free'), {
      '__debezium.source.column.type': 'NUMERIC',
      '__debezium.source.column.length': '0',
      '__debezium.source.column.name': 'free',
    });
    assert.equal(parameters('mood')['__debezium.source.column.type'], '"SHOP"."MOOD"');
  });

  it("a domain: its own name, its base type's length and scale", () => {
    const relation2: Relation = {
      ...RELATION,
      columns: [{ index: 0, name: 'id', typeOid: 70002, typeModifier: -1, isKey: true }],
    };
    const catalog2 = TypeCatalog.of([
      builtin(PgOid.INT4, 'int4'),
      { ...builtin(70002, 'posint'), kind: 'domain', baseOid: PgOid.INT4 },
    ]);
    const schema = TableSchema.build(
      relation2,
      catalog2,
      { notNull: new Set(['id']), primaryKey: ['id'] },
      {
        ...OPTIONS,
        propagateSourceType: new Set(['id']),
      },
    );
    const value = (
      (schema.valueSchema as { fields: Array<{ type: unknown }> }).fields[0].type as unknown[]
    )[1] as {
      fields: Array<{ type: Record<string, unknown> }>;
    };
    assert.deepEqual(value.fields[0]!.type['connect.parameters'], {
      '__debezium.source.column.type': 'POSINT',
      '__debezium.source.column.length': '10',
      '__debezium.source.column.scale': '0',
      '__debezium.source.column.name': 'id',
    });
  });

  it('streaming: INT4, numeric 131089/0, the type by its name', () => {
    const parameters = build('streaming');
    assert.equal(parameters('id')['__debezium.source.column.type'], 'INT4');
    assert.deepEqual(
      [
        parameters('free')['__debezium.source.column.length'],
        parameters('free')['__debezium.source.column.scale'],
      ],
      ['131089', '0'],
    );
    assert.equal(parameters('mood')['__debezium.source.column.type'], 'MOOD');
  });
});

describe('datatype.propagate.source.type', () => {
  it("adds the same parameters to the columns whose type the predicate selects, by Debezium's type name", () => {
    const seen: string[] = [];
    const schema = TableSchema.build(RELATION, CATALOG, FACTS, {
      ...OPTIONS,
      propagateSourceDataType: (typeName) => {
        seen.push(typeName);
        return typeName === 'NUMERIC' || typeName === 'INT4';
      },
    });
    const value = (
      (schema.valueSchema as { fields: Array<{ type: unknown }> }).fields[0].type as unknown[]
    )[1] as {
      fields: Array<{ name: string; type: unknown }>;
    };
    const parameters = (name: string) => {
      const field = value.fields.find((f) => f.name === name)!;
      const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
      return (type as Record<string, unknown>)['connect.parameters'] as Record<string, string> | undefined;
    };
    assert.deepEqual(seen, ['INT4', 'VARCHAR', 'NUMERIC', 'TEXT']);
    assert.equal(parameters('amount')?.['__debezium.source.column.type'], 'NUMERIC');
    assert.equal(parameters('id')?.['__debezium.source.column.type'], 'INT4');
    assert.equal(parameters('code'), undefined);
    assert.equal(parameters('note'), undefined);
  });
});

describe('event.processing.failure.handling.mode', () => {
  const schema = TableSchema.build(RELATION, CATALOG, FACTS, OPTIONS);
  // NaN in the NOT NULL numeric(5,2) amount: no form under decimal.handling.mode=precise.
  const BAD = ['1', 'A', 'NaN', null];

  it('fail (the default) throws the error naming the column', () => {
    assert.throws(() => new ChangeEventBuilder().insert(schema, BAD, POSITION), /shop\.orders\.amount/);
  });

  it('warn leaves the row out of every operation and reports it with table and LSN; good rows still pass', () => {
    const skipped: string[] = [];
    const builder = new ChangeEventBuilder({
      processingFailureHandling: 'warn',
      onEventSkipped: (error, table, lsn) => skipped.push(`${table}@${lsn.toString()}: ${error.message}`),
    });
    assert.deepEqual(builder.insert(schema, BAD, POSITION), []);
    assert.deepEqual(builder.read(schema, BAD, POSITION), []);
    assert.deepEqual(builder.update(schema, ROW, BAD, POSITION), []);
    assert.deepEqual(builder.delete(schema, BAD, POSITION), []);
    assert.equal(skipped.length, 4);
    assert.match(skipped[0]!, /^shop\.orders@0\/00000001: .*amount/);
    assert.equal(builder.insert(schema, ROW, POSITION).length, 1);
  });

  it('skip leaves the row out without a report', () => {
    const skipped: unknown[] = [];
    const builder = new ChangeEventBuilder({
      processingFailureHandling: 'skip',
      onEventSkipped: (error) => skipped.push(error),
    });
    assert.deepEqual(builder.insert(schema, BAD, POSITION), []);
    assert.deepEqual(skipped, []);
    assert.equal(builder.insert(schema, ROW, POSITION).length, 1);
  });
});

describe('decimal.handling.mode', () => {
  it('a NaN in a NOT NULL numeric under precise fails naming the column and the option', () => {
    const schema = TableSchema.build(RELATION, CATALOG, FACTS, OPTIONS);
    assert.throws(
      () => new ChangeEventBuilder().insert(schema, ['1', 'A', 'NaN', null], POSITION),
      /shop\.orders\.amount.*decimalHandlingMode/,
    );
  });

  it("string writes a column DEFAULT at the column's scale, as Debezium's converter does", () => {
    const facts = { ...FACTS, defaults: new Map([['amount', '42.5']]) };
    const schema = TableSchema.build(RELATION, CATALOG, facts, {
      ...OPTIONS,
      types: { decimalMode: 'string' },
    });
    const value = (schema.valueSchema as { fields: Array<{ type: unknown }> }).fields[0].type as unknown[];
    const amount = (value[1] as { fields: Array<{ name: string; default?: unknown }> }).fields.find(
      (f) => f.name === 'amount',
    );
    assert.equal(amount?.default, '42.50');
  });

  it('string keeps it: NAN', () => {
    const schema = TableSchema.build(RELATION, CATALOG, FACTS, {
      ...OPTIONS,
      types: { decimalMode: 'string' },
    });
    const [event] = new ChangeEventBuilder().insert(schema, ['1', 'A', 'NaN', null], POSITION);
    assert.equal(event.value!.after!.amount, 'NAN');
    assert.deepEqual(schema.valueCodec.invalidPaths(event.value), []);
  });
});
