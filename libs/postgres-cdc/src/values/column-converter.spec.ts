import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { compileAvroCodec } from '@sluice/schema';
import { PgOid } from '../types/pg-oid';
import { TypeCatalog } from '../types/type-catalog';
import {
  type ColumnConverterOptions,
  createColumnConverter,
  javaDoubleText,
  javaGeometricText,
  nameUuidFromBytes,
} from './column-converter';
import { bytesToBigInt } from './numeric-codec';
import { UnrepresentableValueError } from './unrepresentable-value-error';

const MOOD = 90001;
const MOOD_ARRAY = 90002;
const POSINT = 90003;
const PRICE = 90004;
const HSTORE = 90005;
const GEOMETRY = 90006;
const GEOMETRY_ARRAY = 90007;
const GEOGRAPHY = 90008;
const VECTOR = 90009;
const HALFVEC = 90010;
const SPARSEVEC = 90011;
const POINT_ARRAY = 1017;
const extensionType = (oid: number, name: string, elementOid = 0) => ({
  oid,
  schema: 'public',
  name,
  kind: 'base' as const,
  elementOid,
  baseOid: 0,
  baseTypeModifier: -1,
  enumLabels: [],
});
const CATALOG = TypeCatalog.of([
  extensionType(GEOMETRY, 'geometry'),
  extensionType(GEOMETRY_ARRAY, '_geometry', GEOMETRY),
  extensionType(GEOGRAPHY, 'geography'),
  extensionType(VECTOR, 'vector'),
  extensionType(HALFVEC, 'halfvec'),
  extensionType(SPARSEVEC, 'sparsevec'),
  { ...extensionType(POINT_ARRAY, '_point', PgOid.POINT), schema: 'pg_catalog' },
  {
    oid: MOOD,
    schema: 'public',
    name: 'mood',
    kind: 'enum',
    elementOid: 0,
    baseOid: 0,
    baseTypeModifier: -1,
    enumLabels: ['happy', 'sad, really'],
  },
  {
    oid: MOOD_ARRAY,
    schema: 'public',
    name: '_mood',
    kind: 'base',
    elementOid: MOOD,
    baseOid: 0,
    baseTypeModifier: -1,
    enumLabels: [],
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
  // numeric(10,2) domain: typmod ((10 << 16) | 2) + 4
  {
    oid: PRICE,
    schema: 'public',
    name: 'price',
    kind: 'domain',
    elementOid: 0,
    baseOid: PgOid.NUMERIC,
    baseTypeModifier: ((10 << 16) | 2) + 4,
    enumLabels: [],
  },
  {
    oid: HSTORE,
    schema: 'public',
    name: 'hstore',
    kind: 'base',
    elementOid: 0,
    baseOid: 0,
    baseTypeModifier: -1,
    enumLabels: [],
  },
]);

function converter(typeOid: number, typeModifier = -1, options?: ColumnConverterOptions) {
  const c = createColumnConverter(CATALOG, { name: 'col', typeOid, typeModifier }, options);
  assert.ok(c, `a converter for OID ${typeOid}`);
  return c;
}

/** Converts, then checks the value round-trips through the column's compiled Avro type. */
function roundTrip(typeOid: number, text: string, typeModifier = -1): unknown {
  const c = converter(typeOid, typeModifier);
  const value = c.convert(text);
  const codec = compileAvroCodec({
    type: 'record',
    name: 'R',
    fields: [{ name: 'v', type: ['null', c.schema], default: null }],
  });
  assert.deepEqual(plain(codec.decode(codec.encode({ v: value }))), { v: value });
  return value;
}

/** avsc decodes records as instances of generated classes; compare their fields only. */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

const numericTypmod = (p: number, s: number) => ((p << 16) | s) + 4;
const decimal = (value: unknown) => bytesToBigInt(value as Buffer);

describe('column converters (Debezium PostgresValueConverter defaults)', () => {
  it('integers: int2 as Connect int16, int4, int8 beyond 2^53 as bigint, oid', () => {
    assert.deepEqual(converter(PgOid.INT2).schema, { type: 'int', 'connect.type': 'int16' });
    assert.equal(roundTrip(PgOid.INT2, '-32768'), -32768);
    assert.equal(roundTrip(PgOid.INT4, '2147483647'), 2147483647);
    assert.equal(converter(PgOid.INT8).schema, 'long');
    assert.equal(roundTrip(PgOid.INT8, '-9007199254740991'), -9007199254740991);
    assert.equal(roundTrip(PgOid.INT8, '9223372036854775807'), 9223372036854775807n);
    assert.equal(roundTrip(PgOid.OID, '4294967295'), 4294967295);
  });

  it('numeric(p,s): Connect Decimal bytes with scale and connect.decimal.precision', () => {
    const c = converter(PgOid.NUMERIC, numericTypmod(10, 2));
    assert.deepEqual(c.schema, {
      type: 'bytes',
      scale: 2,
      precision: 10,
      'connect.version': 1,
      'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
      'connect.name': 'org.apache.kafka.connect.data.Decimal',
      logicalType: 'decimal',
    });
    assert.equal(decimal(roundTrip(PgOid.NUMERIC, '12345678.90', numericTypmod(10, 2))), 1234567890n);
    assert.equal(decimal(roundTrip(PgOid.NUMERIC, '-0.01', numericTypmod(10, 2))), -1n);
    assert.deepEqual(c.convert('0.00'), Buffer.from([0]));
    assert.deepEqual(c.convert('-1.28'), Buffer.from([0x80])); // Java BigInteger.toByteArray
    assert.deepEqual(c.convert('1.28'), Buffer.from([0x00, 0x80]));
    const big = converter(PgOid.NUMERIC, numericTypmod(38, 4)).convert(
      '-12345678901234567890123456789012.3456',
    );
    assert.equal(decimal(big), -123456789012345678901234567890123456n);
  });

  it('numeric NaN and ±Infinity are null under precise (Debezium writes null and warns)', () => {
    for (const text of ['NaN', 'Infinity', '-Infinity']) {
      assert.equal(converter(PgOid.NUMERIC, numericTypmod(10, 2)).convert(text), null);
      assert.equal(converter(PgOid.NUMERIC).convert(text), null);
    }
  });

  it('decimal.handling.mode double: numeric and money as Avro double, NaN and ±Infinity kept', () => {
    const options = { decimalMode: 'double' } as const;
    for (const typmod of [numericTypmod(10, 2), -1]) {
      const c = converter(PgOid.NUMERIC, typmod, options);
      assert.equal(c.schema, 'double');
      assert.equal(c.convert('-12.50'), -12.5);
      assert.ok(Number.isNaN(c.convert('NaN')));
      assert.equal(c.convert('Infinity'), Infinity);
      assert.equal(c.convert('-Infinity'), -Infinity);
    }
    const money = converter(PgOid.MONEY, -1, options);
    assert.equal(money.schema, 'double');
    assert.equal(money.convert('-$1,234.11'), -1234.11);
  });

  it("decimal.handling.mode string: plain text, NaN and ±Infinity as SpecialValueDecimal's names", () => {
    const options = { decimalMode: 'string' } as const;
    const c = converter(PgOid.NUMERIC, numericTypmod(10, 2), options);
    assert.equal(c.schema, 'string');
    assert.equal(c.convert('1.50'), '1.50');
    assert.equal(c.convert('42.5'), '42.50', "a DEFAULT's literal at the column's scale");
    assert.equal(converter(PgOid.NUMERIC, numericTypmod(10, 0), options).convert('42.0'), '42');
    assert.equal(c.convert('NaN'), 'NAN');
    assert.equal(c.convert('Infinity'), 'POSITIVE_INFINITY');
    assert.equal(c.convert('-Infinity'), 'NEGATIVE_INFINITY');
    assert.equal(
      converter(PgOid.NUMERIC, -1, options).convert('123456789012345678901234.5'),
      '123456789012345678901234.5',
    );
    const money = converter(PgOid.MONEY, -1, options);
    assert.equal(money.schema, 'string');
    assert.equal(money.convert('($1,234.10)'), '-1234.10');
    assert.equal(money.convert('$0.05'), '0.05');
  });

  it('unconstrained numeric: VariableScaleDecimal {scale, value}, trailing zeros stripped', () => {
    const c = converter(PgOid.NUMERIC);
    assert.equal((c.schema as { name: string }).name, 'VariableScaleDecimal');
    assert.deepEqual(roundTrip(PgOid.NUMERIC, '123.4500'), { scale: 2, value: Buffer.from([0x30, 0x39]) });
    assert.deepEqual(c.convert('100'), { scale: 0, value: Buffer.from([100]) });
    assert.deepEqual(c.convert('-0.000'), { scale: 0, value: Buffer.from([0]) });
  });

  it('money: Decimal at money.fraction.digits without precision parameter (AvroData writes 64)', () => {
    const c = converter(PgOid.MONEY);
    assert.deepEqual((c.schema as Record<string, unknown>)['connect.parameters'], { scale: '2' });
    assert.equal((c.schema as Record<string, unknown>).precision, 64);
    assert.equal(decimal(roundTrip(PgOid.MONEY, '$1,234.11')), 123411n);
    assert.equal(decimal(c.convert('-$1,234.11')), -123411n);
    assert.equal(decimal(c.convert('($1,234.11)')), -123411n);
    assert.equal(decimal(converter(PgOid.MONEY, -1, { moneyFractionDigits: 3 }).convert('$5.10')), 5100n);
    // fewer digits than the value has: HALF_UP, as Debezium's setScale
    const one = converter(PgOid.MONEY, -1, { moneyFractionDigits: 1 });
    assert.equal(decimal(one.convert('$5.15')), 52n);
    assert.equal(decimal(one.convert('-$5.15')), -52n);
    assert.equal(decimal(one.convert('$5.14')), 51n);
    assert.equal(decimal(converter(PgOid.MONEY, -1, { moneyFractionDigits: 0 }).convert('$0.50')), 1n);
  });

  it('floats keep NaN and ±Infinity; booleans are t/f', () => {
    assert.equal(converter(PgOid.FLOAT4).schema, 'float');
    assert.ok(Number.isNaN(roundTrip(PgOid.FLOAT8, 'NaN')));
    assert.equal(roundTrip(PgOid.FLOAT8, '-Infinity'), -Infinity);
    assert.equal(roundTrip(PgOid.FLOAT8, '1.7976931348623157e+308'), 1.7976931348623157e308);
    assert.equal(roundTrip(PgOid.BOOL, 't'), true);
    assert.equal(roundTrip(PgOid.BOOL, 'f'), false);
  });

  it('strings, bytea, uuid, json, xml, network types', () => {
    assert.equal(roundTrip(PgOid.VARCHAR, 'héllo'), 'héllo');
    assert.deepEqual(roundTrip(PgOid.BYTEA, '\\x00ff10'), Buffer.from([0, 255, 16]));
    assert.deepEqual(converter(PgOid.UUID).schema, {
      type: 'string',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.Uuid',
    });
    assert.deepEqual(converter(PgOid.JSONB).schema, {
      type: 'string',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.Json',
    });
    assert.deepEqual(converter(PgOid.XML).schema, {
      type: 'string',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.Xml',
    });
    assert.equal(roundTrip(PgOid.INET, '192.168.0.1/24'), '192.168.0.1/24');
    assert.equal(converter(PgOid.MACADDR).schema, 'string');
  });

  it('date: io.debezium.time.Date days, before 1970, BC, ±infinity as int32 max/min', () => {
    assert.deepEqual(converter(PgOid.DATE).schema, {
      type: 'int',
      'connect.version': 1,
      'connect.name': 'io.debezium.time.Date',
    });
    assert.equal(roundTrip(PgOid.DATE, '2016-11-04'), 17109);
    assert.equal(roundTrip(PgOid.DATE, '1969-12-31'), -1);
    assert.equal(roundTrip(PgOid.DATE, '0001-01-01 BC'), -719528); // year 0 proleptic
    assert.equal(roundTrip(PgOid.DATE, 'infinity'), 2147483647);
    assert.equal(roundTrip(PgOid.DATE, '-infinity'), -2147483648);
  });

  it('time: adaptive Time (millis, p<=3) or MicroTime (micros); 24:00:00 is a whole day', () => {
    assert.equal(
      (converter(PgOid.TIME, 3).schema as Record<string, unknown>)['connect.name'],
      'io.debezium.time.Time',
    );
    assert.equal(roundTrip(PgOid.TIME, '13:51:30.123', 3), 49890123);
    assert.equal(
      (converter(PgOid.TIME).schema as Record<string, unknown>)['connect.name'],
      'io.debezium.time.MicroTime',
    );
    assert.equal(roundTrip(PgOid.TIME, '13:51:30.123456'), 49890123456);
    assert.equal(roundTrip(PgOid.TIME, '24:00:00'), 86400000000);
  });

  it('timetz: ZonedTime string in UTC, shortest fraction', () => {
    assert.equal(roundTrip(PgOid.TIMETZ, '13:51:30.123789+02'), '11:51:30.123789Z');
    assert.equal(roundTrip(PgOid.TIMETZ, '13:51:30.120+02'), '11:51:30.12Z');
    assert.equal(roundTrip(PgOid.TIMETZ, '01:00:00+05:30'), '19:30:00Z');
    assert.equal(roundTrip(PgOid.TIMETZ, '23:00:00-03'), '02:00:00Z');
    // java.time's OffsetTime wraps the end of the day round, as Debezium writes it
    assert.equal(roundTrip(PgOid.TIMETZ, '24:00:00+00'), '00:00:00Z');
    assert.equal(roundTrip(PgOid.TIMETZ, '24:00:00+02'), '22:00:00Z');
  });

  it('timestamp: adaptive Timestamp/MicroTimestamp, before 1970, BC, huge years, ±infinity', () => {
    assert.equal(roundTrip(PgOid.TIMESTAMP, '2016-11-04 13:51:30.123456'), 1478267490123456);
    assert.equal(roundTrip(PgOid.TIMESTAMP, '1936-10-25 22:10:12.608', 3), -1047174587392);
    assert.equal(roundTrip(PgOid.TIMESTAMP, '1969-12-31 23:59:59.999', 3), -1);
    assert.equal(roundTrip(PgOid.TIMESTAMP, '4713-12-31 23:59:59.999999 BC'), -210831897600000001n);
    assert.equal(roundTrip(PgOid.TIMESTAMP, '294247-01-01 23:59:59.999999'), 9223371331199999999n);
    assert.equal(roundTrip(PgOid.TIMESTAMP, 'infinity'), 9223372036825200000n);
    assert.equal(roundTrip(PgOid.TIMESTAMP, '-infinity'), -9223372036832400000n);
    assert.equal(roundTrip(PgOid.TIMESTAMP, 'infinity', 3), 9223372036825200n); // > 2^53
  });

  it('timestamptz: ZonedTimestamp in UTC padded to the column precision; ±infinity as strings', () => {
    assert.equal(
      roundTrip(PgOid.TIMESTAMPTZ, '2016-11-04 13:51:30.123456+02'),
      '2016-11-04T11:51:30.123456Z',
    );
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '2020-04-01 11:51:02+00'), '2020-04-01T11:51:02.000000Z');
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '2020-04-01 11:51:02.5+00', 3), '2020-04-01T11:51:02.500Z');
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '2020-04-01 11:51:02.5+00', 0), '2020-04-01T11:51:02.5Z');
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '2000-01-01 00:30:00+05:30'), '1999-12-31T19:00:00.000000Z');
    assert.equal(
      roundTrip(PgOid.TIMESTAMPTZ, '21016-11-04 13:51:30.123456+07'),
      '+21016-11-04T06:51:30.123456Z',
    );
    assert.equal(
      roundTrip(PgOid.TIMESTAMPTZ, '4714-12-31 23:59:59.999999+00 BC'),
      '-4713-12-31T23:59:59.999999Z',
    );
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '1901-12-13 20:45:52+00:00:12'), '1901-12-13T20:45:40.000000Z');
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, 'infinity'), 'infinity');
    assert.equal(roundTrip(PgOid.TIMESTAMPTZ, '-infinity'), '-infinity');
  });

  it('interval: MicroDuration with Debezium month of 30.4375 days, negative parts', () => {
    // MicroDuration.durationMicros(1, 2, 3, 4, 5, 6.78, 365.25 / 12)
    assert.equal(roundTrip(PgOid.INTERVAL, '1 year 2 mons 3 days 04:05:06.78'), 37091106780000);
    assert.equal(roundTrip(PgOid.INTERVAL, '-1 days -02:00:00'), -93600000000);
    assert.equal(roundTrip(PgOid.INTERVAL, '1 mon -1 days'), 2543400000000);
    assert.equal(roundTrip(PgOid.INTERVAL, '-00:00:00.5'), -500000);
    assert.equal(roundTrip(PgOid.INTERVAL, '00:00:00'), 0);
    assert.throws(() => converter(PgOid.INTERVAL).convert('P1Y'), UnrepresentableValueError);
  });

  it('bit: bit(1) is boolean, bit(n)/varbit are io.debezium.data.Bits little-endian bytes', () => {
    assert.equal(roundTrip(PgOid.BIT, '1', 1), true);
    assert.deepEqual((converter(PgOid.VARBIT).schema as Record<string, unknown>)['connect.parameters'], {
      length: '2147483647',
    });
    assert.deepEqual(roundTrip(PgOid.BIT, '11', 2), Buffer.from([3]));
    assert.deepEqual(roundTrip(PgOid.BIT, '1000000', 7), Buffer.from([64]));
    assert.deepEqual(roundTrip(PgOid.VARBIT, '000000110000001000000001', 24), Buffer.from([1, 2, 3]));
    assert.deepEqual(roundTrip(PgOid.VARBIT, '00', 2), Buffer.alloc(0));
  });

  it('arrays: Avro arrays of nullable elements, quoting, NULLs, bounds, flattening', () => {
    assert.deepEqual(converter(1007).schema, { type: 'array', items: ['null', 'int'] });
    assert.deepEqual(roundTrip(1007, '{1,NULL,3}'), [1, null, 3]);
    assert.deepEqual(roundTrip(1009, '{"a b","NULL",NULL,"q\\"\\\\",plain}'), [
      'a b',
      'NULL',
      null,
      'q"\\',
      'plain',
    ]);
    assert.deepEqual(roundTrip(1007, '[0:1]={7,8}'), [7, 8]);
    assert.deepEqual(roundTrip(1007, '{{1,2},{3,4}}'), [1, 2, 3, 4]);
    assert.deepEqual(roundTrip(1007, '{}'), []);
    assert.deepEqual(roundTrip(1001, '{"\\\\x0102",NULL}'), [Buffer.from([1, 2]), null]);
    assert.deepEqual(roundTrip(1231, '{1.5,NULL}'), [{ scale: 1, value: Buffer.from([15]) }, null]);
    assert.deepEqual(roundTrip(1185, '{"2020-04-01 11:51:02+00"}'), ['2020-04-01T11:51:02.000000Z']);
  });

  it('user enums: io.debezium.data.Enum with allowed labels; enum arrays', () => {
    assert.deepEqual(converter(MOOD).schema, {
      type: 'string',
      'connect.version': 1,
      'connect.parameters': { allowed: 'happy,sad, really' },
      'connect.name': 'io.debezium.data.Enum',
    });
    assert.equal(roundTrip(MOOD, 'happy'), 'happy');
    assert.deepEqual(roundTrip(MOOD_ARRAY, '{happy,"sad, really",NULL}'), ['happy', 'sad, really', null]);
  });

  it('domains map as their base type with the domain typmod', () => {
    assert.equal(converter(POSINT).schema, 'int');
    assert.equal(roundTrip(POSINT, '5'), 5);
    assert.equal((converter(PRICE).schema as Record<string, unknown>).scale, 2);
    assert.equal(decimal(roundTrip(PRICE, '9.99')), 999n);
  });

  it('hstore: io.debezium.data.Json object, NULL values kept', () => {
    assert.equal(roundTrip(HSTORE, '"a"=>"1", "b \\"q\\""=>NULL'), '{"a":"1","b \\"q\\"":null}');
    assert.equal(roundTrip(HSTORE, ''), '{}');
  });

  it('hstore.handling.mode map: an Avro map of optional strings (Connect map(STRING, OPTIONAL_STRING))', () => {
    const c = converter(HSTORE, -1, { hstoreMode: 'map', unavailableValuePlaceholder: 'toast' });
    assert.deepEqual(c.schema, { type: 'map', values: ['null', 'string'] });
    const value = c.convert('"a"=>"1", "b \\"q\\""=>NULL');
    assert.deepEqual(value, { a: '1', 'b "q"': null });
    const codec = compileAvroCodec({ type: 'record', name: 'R', fields: [{ name: 'v', type: c.schema }] });
    assert.deepEqual(plain(codec.decode(codec.encode({ v: value }))), { v: { a: '1', 'b "q"': null } });
    assert.deepEqual(c.toastPlaceholder, { toast: 'toast' });
  });

  it('interval.handling.mode string: io.debezium.time.Interval, ISO 8601 as Interval.toIsoString', () => {
    const c = converter(PgOid.INTERVAL, -1, { intervalMode: 'string' });
    assert.deepEqual(c.schema, {
      type: 'string',
      'connect.version': 1,
      'connect.name': 'io.debezium.time.Interval',
    });
    assert.equal(c.convert('1 year 2 mons -3 days -04:05:06.78'), 'P1Y2M-3DT-4H-5M-6.78S');
    assert.equal(c.convert('00:00:00'), 'P0Y0M0DT0H0M0S');
    assert.equal(c.convert('10 days 00:00:30'), 'P0Y0M10DT0H0M30S');
    assert.equal(c.convert('00:00:00.000001'), 'P0Y0M0DT0H0M0.000001S');
  });

  it('point: io.debezium.data.geometry.Point {x, y, wkb (little-endian WKB, as Debezium), srid null}', () => {
    assert.deepEqual(converter(PgOid.POINT).schema, {
      type: 'record',
      name: 'Point',
      namespace: 'io.debezium.data.geometry',
      doc: 'Geometry (POINT)',
      fields: [
        { name: 'x', type: 'double' },
        { name: 'y', type: 'double' },
        { name: 'wkb', type: ['null', 'bytes'], default: null },
        { name: 'srid', type: ['null', 'int'], default: null },
      ],
      'connect.doc': 'Geometry (POINT)',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.geometry.Point',
    });
    assert.deepEqual(roundTrip(PgOid.POINT, '(1.5,-2)'), {
      x: 1.5,
      y: -2,
      wkb: Buffer.from('0101000000000000000000f83f00000000000000c0', 'hex'),
      srid: null,
    });
    assert.equal((roundTrip(PgOid.POINT, '(NaN,Infinity)') as { y: number }).y, Infinity);
  });

  it('tsvector: io.debezium.data.Tsvector string, text as Postgres prints it', () => {
    assert.deepEqual(converter(PgOid.TSVECTOR).schema, {
      type: 'string',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.Tsvector',
    });
    assert.equal(roundTrip(PgOid.TSVECTOR, "'a':1 'fat':2 'rat':3"), "'a':1 'fat':2 'rat':3");
    assert.equal(converter(PgOid.TSVECTOR).toastPlaceholder, '__debezium_unavailable_value');
  });

  it('PostGIS geometry/geography: {wkb: the EWKB bytes, srid read from them}; Geometry always optional', () => {
    // SRID=4326;POINT(1 2) and POINT(1 2) without SRID, as PostGIS prints them (hex EWKB)
    const withSrid = '0101000020E6100000000000000000F03F0000000000000040';
    const plainPoint = '0101000000000000000000F03F0000000000000040';
    const geometry = converter(GEOMETRY);
    assert.equal(geometry.alwaysOptional, true);
    assert.equal(
      (geometry.schema as { 'connect.name': string })['connect.name'],
      'io.debezium.data.geometry.Geometry',
    );
    assert.deepEqual(roundTrip(GEOMETRY, withSrid), { wkb: Buffer.from(withSrid, 'hex'), srid: 4326 });
    assert.deepEqual(roundTrip(GEOMETRY, plainPoint), { wkb: Buffer.from(plainPoint, 'hex'), srid: null });
    // big-endian EWKB
    assert.equal(
      (roundTrip(GEOMETRY, '0020000001000010E63FF00000000000004000000000000000') as { srid: number }).srid,
      4326,
    );
    const geography = converter(GEOGRAPHY);
    assert.equal(geography.alwaysOptional, undefined);
    assert.deepEqual((geography.schema as { doc: string }).doc, 'Geography');
    assert.deepEqual(roundTrip(GEOGRAPHY, withSrid), { wkb: Buffer.from(withSrid, 'hex'), srid: 4326 });
    // geometry[]: PostGIS's array delimiter is ':'
    assert.deepEqual(roundTrip(GEOMETRY_ARRAY, `{${withSrid}:NULL}`), [
      { wkb: Buffer.from(withSrid, 'hex'), srid: 4326 },
      null,
    ]);
    assert.throws(() => converter(GEOMETRY).convert('zz'), UnrepresentableValueError);
  });

  it('pgvector: vector → DoubleVector, halfvec → FloatVector, sparsevec → SparseDoubleVector', () => {
    assert.deepEqual(converter(VECTOR).schema, {
      type: 'array',
      items: 'double',
      'connect.version': 1,
      'connect.name': 'io.debezium.data.DoubleVector',
    });
    assert.deepEqual(roundTrip(VECTOR, '[1,2.5,-3e-05]'), [1, 2.5, -3e-5]);
    assert.deepEqual((converter(HALFVEC).schema as { items: string }).items, 'float');
    assert.deepEqual(roundTrip(HALFVEC, '[1,0.5]'), [1, 0.5]);
    const sparse = converter(SPARSEVEC).schema as { fields: Array<{ name: string; type: unknown }> };
    assert.deepEqual(sparse.fields[1], {
      name: 'vector',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'MapEntry',
          namespace: 'io.confluent.connect.avro',
          fields: [
            { name: 'key', type: { type: 'int', 'connect.type': 'int16' } },
            { name: 'value', type: 'double' },
          ],
        },
      },
    });
    assert.deepEqual(roundTrip(SPARSEVEC, '{3:2,1:1.5}/5'), {
      dimensions: 5,
      vector: [
        { key: 1, value: 1.5 },
        { key: 3, value: 2 },
      ],
    });
    assert.deepEqual(roundTrip(SPARSEVEC, '{}/3'), { dimensions: 3, vector: [] });
    assert.throws(() => converter(VECTOR).convert('1,2'), UnrepresentableValueError);
  });

  it('types Debezium does not map are skipped (undefined), as include.unknown.datatypes=false', () => {
    const BOX = 603;
    assert.equal(createColumnConverter(CATALOG, { name: 'b', typeOid: BOX, typeModifier: -1 }), undefined);
    // Debezium has no point[] mapping
    assert.equal(
      createColumnConverter(CATALOG, { name: 'p', typeOid: POINT_ARRAY, typeModifier: -1 }),
      undefined,
    );
    assert.equal(createColumnConverter(CATALOG, { name: 'x', typeOid: 123456, typeModifier: -1 }), undefined);
  });

  it('include.unknown.datatypes: an unmapped scalar type is bytes of its text; arrays of one still left out', () => {
    const BOX = 603;
    const options = { includeUnknownDatatypes: true, unavailableValuePlaceholder: 'toast' };
    const box = createColumnConverter(CATALOG, { name: 'b', typeOid: BOX, typeModifier: -1 }, options);
    assert.equal(box?.schema, 'bytes');
    assert.deepEqual(box?.convert('(1,1),(0,0)'), Buffer.from('(1.0,1.0),(0.0,0.0)'), "pgjdbc's PGbox text");
    assert.deepEqual(box?.toastPlaceholder, Buffer.from('toast'));
    assert.equal(
      createColumnConverter(CATALOG, { name: 'p', typeOid: POINT_ARRAY, typeModifier: -1 }, options),
      undefined,
    );
  });

  it('binary.handling.mode: bytea (and its arrays, TOAST placeholders, unknown types) as Base64, URL-safe Base64 or hex strings', () => {
    const bytes = '\\xfbff00';
    const of = (binaryMode: ColumnConverterOptions['binaryMode'], oid: number = PgOid.BYTEA) =>
      converter(oid, -1, { binaryMode, unavailableValuePlaceholder: 'to?st>' });
    assert.equal(of('bytes').schema, 'bytes');
    assert.equal(of('base64').schema, 'string');
    assert.equal(of('base64').convert(bytes), '+/8A');
    assert.equal(of('base64-url-safe').convert(bytes), '-_8A', "Java's URL encoder: - and _, padding kept");
    assert.equal(of('base64-url-safe').convert('\\xfb'), '-w==');
    assert.equal(of('hex').convert(bytes), 'fbff00');
    assert.equal(of('base64').toastPlaceholder, Buffer.from('to?st>').toString('base64'));
    assert.equal(of('hex').toastPlaceholder, Buffer.from('to?st>').toString('hex'));
    const array = of('hex', 1001);
    assert.deepEqual(array.schema, { type: 'array', items: ['null', 'string'] });
    assert.deepEqual(array.convert('{"\\\\xfbff00",NULL}'), ['fbff00', null]);
    assert.deepEqual(array.toastPlaceholder, [Buffer.from('to?st>').toString('hex')]);
    const box = createColumnConverter(
      CATALOG,
      { name: 'b', typeOid: 603, typeModifier: -1 },
      { includeUnknownDatatypes: true, binaryMode: 'base64' },
    );
    assert.equal(box?.schema, 'string');
    assert.equal(box?.convert('(1,1),(0,0)'), Buffer.from('(1.0,1.0),(0.0,0.0)').toString('base64'));
  });

  it("time.precision.mode: adaptive_time_microseconds (time always MicroTime), connect (Kafka Connect's Date, Time, Timestamp)", () => {
    const micro = converter(PgOid.TIME, 3, { timePrecisionMode: 'adaptive_time_microseconds' });
    assert.deepEqual(micro.schema, {
      type: 'long',
      'connect.version': 1,
      'connect.name': 'io.debezium.time.MicroTime',
    });
    assert.equal(micro.convert('13:51:30.123'), 49_890_123_000);
    const connect = (oid: number, typmod = -1) => converter(oid, typmod, { timePrecisionMode: 'connect' });
    assert.deepEqual(connect(PgOid.DATE).schema, {
      type: 'int',
      'connect.version': 1,
      'connect.name': 'org.apache.kafka.connect.data.Date',
      logicalType: 'date',
    });
    assert.equal(connect(PgOid.DATE).convert('2016-11-04'), 17109);
    assert.deepEqual(connect(PgOid.TIME).schema, {
      type: 'int',
      'connect.version': 1,
      'connect.name': 'org.apache.kafka.connect.data.Time',
      logicalType: 'time-millis',
    });
    assert.equal(
      connect(PgOid.TIME).convert('13:51:30.123789'),
      49_890_123,
      'sub-millisecond digits dropped',
    );
    assert.deepEqual(connect(PgOid.TIMESTAMP).schema, {
      type: 'long',
      'connect.version': 1,
      'connect.name': 'org.apache.kafka.connect.data.Timestamp',
      logicalType: 'timestamp-millis',
    });
    assert.equal(connect(PgOid.TIMESTAMP).convert('1936-10-25 22:10:12.608379'), -1_047_174_587_392);
    assert.deepEqual(
      connect(PgOid.TIMESTAMPTZ).schema,
      converter(PgOid.TIMESTAMPTZ).schema,
      'zoned types unchanged',
    );
  });

  it("geometric types' text as pgjdbc writes it: Java's Double.toString for each number", () => {
    assert.equal(javaGeometricText('<(1.5,-2),3>'), '<(1.5,-2.0),3.0>');
    assert.equal(javaGeometricText('{1,-1,0}'), '{1.0,-1.0,0.0}');
    assert.equal(javaGeometricText('[(1e+20,0.0001),(-0,12345678)]'), '[(1.0E20,1.0E-4),(-0.0,1.2345678E7)]');
    assert.equal(javaDoubleText(0.001), '0.001');
    assert.equal(javaDoubleText(9999999), '9999999.0');
    assert.equal(javaDoubleText(-2.5e-7), '-2.5E-7');
  });

  it('TOAST placeholders typed per column as Debezium: string, bytes, one-element arrays, byte lists', () => {
    const ph = '__debezium_unavailable_value';
    assert.equal(converter(PgOid.TEXT).toastPlaceholder, ph);
    assert.equal(converter(PgOid.JSONB).toastPlaceholder, ph);
    assert.deepEqual(converter(PgOid.BYTEA).toastPlaceholder, Buffer.from(ph));
    assert.deepEqual(converter(1009).toastPlaceholder, [ph]);
    assert.deepEqual(converter(1001).toastPlaceholder, [Buffer.from(ph)]);
    assert.deepEqual(converter(1007).toastPlaceholder, [...Buffer.from(ph)]);
    assert.deepEqual(converter(2951).toastPlaceholder, [nameUuidFromBytes(Buffer.from(ph))]);
    assert.equal(converter(HSTORE).toastPlaceholder, JSON.stringify({ [ph]: ph }));
    assert.equal(converter(PgOid.NUMERIC).toastPlaceholder, undefined);
    assert.equal(converter(PgOid.TEXT, -1, { unavailableValuePlaceholder: 'N/A' }).toastPlaceholder, 'N/A');
    // Java: UUID.nameUUIDFromBytes("abc".getBytes()) = 90015098-3cd2-3fb0-9696-3f7d28e17f72
    assert.equal(nameUuidFromBytes(Buffer.from('abc')), '90015098-3cd2-3fb0-9696-3f7d28e17f72');
  });

  it('masks character columns: N stars, or the keyed HMAC hex; other types refuse a mask', () => {
    assert.equal(
      converter(PgOid.VARCHAR, 14, { mask: { kind: 'chars', length: 5 } }).convert('secret'),
      '*****',
    );
    const hashed = converter(PgOid.TEXT, -1, {
      mask: { kind: 'hash', algorithm: 'sha256', key: 'pepper-of-16-chars' },
    }).convert('secret');
    // HMAC-SHA256 of the value under the key, lower-case hex.
    assert.equal(hashed, createHmac('sha256', 'pepper-of-16-chars').update('secret').digest('hex'));
    // Not the unkeyed digest of key + value it replaced (that one is length-extendable).
    assert.notEqual(hashed, createHash('sha256').update('pepper-of-16-charssecret').digest('hex'));
    assert.match(String(hashed), /^[0-9a-f]{64}$/);
    // A known vector: HMAC-SHA256(key "key", "The quick brown fox jumps over the lazy dog").
    assert.equal(
      converter(PgOid.TEXT, -1, { mask: { kind: 'hash', algorithm: 'sha256', key: 'key' } }).convert(
        'The quick brown fox jumps over the lazy dog',
      ),
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    assert.throws(() => converter(PgOid.INT4, -1, { mask: { kind: 'chars', length: 3 } }), ConfigError);
    assert.throws(
      () => converter(PgOid.TEXT, -1, { mask: { kind: 'hash', algorithm: 'nope', key: 'k' } }),
      ConfigError,
    );
  });

  it('unreadable text gives an UnrepresentableValueError, not a wrong value', () => {
    assert.throws(() => converter(PgOid.DATE).convert('04/11/2016'), UnrepresentableValueError);
    assert.throws(() => converter(1007).convert('{1,2'), UnrepresentableValueError);
  });
});
