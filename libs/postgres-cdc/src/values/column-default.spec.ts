import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileAvroCodec } from '@sluice/schema';
import { PgOid } from '../types/pg-oid';
import { TypeCatalog } from '../types/type-catalog';
import { connectField, withConnectDefault } from './avro-json';
import { createColumnConverter } from './column-converter';
import { avroDefaultJson, columnDefault, defaultTypeName } from './column-default';

const MOOD = 90001;
const POSINT = 90003;
const CATALOG = TypeCatalog.of([
  {
    oid: MOOD,
    schema: 'public',
    name: 'mood',
    kind: 'enum',
    elementOid: 0,
    baseOid: 0,
    baseTypeModifier: -1,
    enumLabels: ['happy', 'sad'],
  },
  {
    oid: POSINT,
    schema: 'public',
    name: 'posint',
    kind: 'domain',
    elementOid: 0,
    baseOid: PgOid.INT4,
    baseTypeModifier: -1,
    enumLabels: [],
  },
]);

/** The default Debezium's schema carries for a column of `oid` with DEFAULT `expression`. */
function dflt(oid: number, expression: string, typeModifier = -1): unknown {
  const converter = createColumnConverter(CATALOG, { name: 'c', typeOid: oid, typeModifier });
  assert.ok(converter);
  const name = defaultTypeName(CATALOG, oid);
  const parsed = name === undefined ? undefined : columnDefault(name, expression, converter);
  return parsed === undefined ? undefined : avroDefaultJson(parsed.value);
}

describe("column defaults (Debezium's PostgresDefaultValueConverter, AvroData's rendering)", () => {
  it('literals: integers, text, booleans, floats, json, uuid, enum, as pg_get_expr prints them', () => {
    assert.equal(dflt(PgOid.INT4, '42'), 42);
    assert.equal(dflt(PgOid.INT8, "'-1'::integer"), -1);
    assert.equal(dflt(PgOid.INT2, '7'), 7);
    assert.equal(dflt(PgOid.TEXT, "'dflt'::text"), 'dflt');
    assert.equal(dflt(PgOid.VARCHAR, "'x y'::character varying"), 'x y');
    assert.equal(dflt(PgOid.BOOL, 'true'), true);
    assert.equal(dflt(PgOid.BOOL, 'false'), false);
    assert.equal(dflt(PgOid.FLOAT8, '1.5'), 1.5);
    assert.equal(dflt(PgOid.JSONB, `'{"a": 1}'::jsonb`), '{"a": 1}');
    assert.equal(
      dflt(PgOid.UUID, "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid"),
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
    assert.equal(dflt(MOOD, "'sad'::mood"), 'sad');
  });

  it('generated values give the type placeholder: serial → 0, now() → epoch, gen_random_uuid() → zero uuid', () => {
    assert.equal(dflt(PgOid.INT4, "nextval('t_id_seq'::regclass)"), 0);
    assert.equal(dflt(PgOid.INT8, "nextval('t_id_seq'::regclass)"), 0);
    assert.equal(dflt(PgOid.TIMESTAMPTZ, 'now()'), '1970-01-01T00:00:00.000000Z');
    assert.equal(dflt(PgOid.TIMESTAMP, 'CURRENT_TIMESTAMP'), 0);
    assert.equal(dflt(PgOid.DATE, 'CURRENT_DATE'), 0);
    assert.equal(dflt(PgOid.TIME, 'LOCALTIME'), 0);
    assert.equal(dflt(PgOid.UUID, 'gen_random_uuid()'), '00000000-0000-0000-0000-000000000000');
    assert.equal(dflt(PgOid.TEXT, 'upper(current_user)'), '');
  });

  it('temporal literals go through the column converter', () => {
    assert.equal(dflt(PgOid.DATE, "'2016-11-04'::date"), 17109);
    assert.equal(dflt(PgOid.TIME, "'10:00:00'::time without time zone"), 36_000_000_000);
    assert.equal(
      dflt(PgOid.TIMESTAMPTZ, "'2020-01-01 08:00:00+00'::timestamp with time zone"),
      '2020-01-01T08:00:00.000000Z',
    );
    assert.equal(dflt(PgOid.INTERVAL, "'1 day'::interval"), 86_400_000_000);
  });

  it('bytes-valued defaults (Decimal, Bits) are ISO-8859-1 strings of the bytes, as AvroData', () => {
    assert.equal(dflt(PgOid.NUMERIC, '1.5', ((5 << 16) | 2) + 4), '\u0000\u0096'); // 150
    assert.equal(dflt(PgOid.BIT, `'101'::"bit"`, 3), '\u0005');
    assert.equal(dflt(PgOid.BIT, `'1'::"bit"`, 1), true);
  });

  it('no default where Debezium has none: NULL, expressions, domains, unmapped types, structs', () => {
    assert.equal(dflt(PgOid.INT4, 'NULL::integer'), undefined);
    assert.equal(dflt(PgOid.INT4, '(1 + 2)'), undefined);
    assert.equal(dflt(POSINT, '5'), undefined);
    assert.equal(dflt(PgOid.BYTEA, "'\\x00'::bytea"), undefined);
    assert.equal(dflt(PgOid.INET, "'1.2.3.4'::inet"), undefined);
    assert.equal(dflt(PgOid.NUMERIC, '1.5'), undefined); // VariableScaleDecimal is a struct
    assert.equal(dflt(PgOid.INT8, "'9223372036854775807'::bigint"), undefined); // beyond 2^53
  });

  it('schemas as AvroData writes them: connect.default on the type, [T, "null"] when optional', () => {
    assert.deepEqual(connectField('id', 'int', false, 0), {
      name: 'id',
      type: { type: 'int', 'connect.default': 0 },
      default: 0,
    });
    assert.deepEqual(connectField('s', 'string', true, 'dflt'), {
      name: 's',
      type: [{ type: 'string', 'connect.default': 'dflt' }, 'null'],
      default: 'dflt',
    });
    assert.deepEqual(connectField('n', 'int', true), { name: 'n', type: ['null', 'int'], default: null });
    // connect.default before connect.name and connect.type, after version and parameters
    assert.deepEqual(
      Object.keys(
        withConnectDefault(
          {
            type: 'string',
            'connect.version': 1,
            'connect.parameters': { allowed: 'a' },
            'connect.name': 'io.debezium.data.Enum',
          },
          'a',
        ),
      ),
      ['type', 'connect.version', 'connect.parameters', 'connect.default', 'connect.name'],
    );
    assert.deepEqual(Object.keys(withConnectDefault({ type: 'int', 'connect.type': 'int16' }, 1)), [
      'type',
      'connect.default',
      'connect.type',
    ]);
    // the fields compile and their defaults fill a reader's missing field
    const codec = compileAvroCodec({
      type: 'record',
      name: 'R',
      fields: [connectField('id', 'int', false, 0), connectField('s', 'string', true, 'dflt')],
    });
    assert.deepEqual({ ...(codec.decode(codec.encode({ id: 1, s: null })) as object) }, { id: 1, s: null });
  });
});
