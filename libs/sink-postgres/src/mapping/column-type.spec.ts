import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAvroSchema } from '@sluice/schema';
import { columnTypeFor } from './column-type';

const column = (type: unknown) => columnTypeFor(parseAvroSchema(JSON.stringify(type)).type);
const named = (base: string, name: string, extra: object = {}) => ({
  type: base,
  'connect.name': name,
  ...extra,
});

describe('Avro field → Postgres column (inverse of source-postgres)', () => {
  const cases: Array<[unknown, string, unknown, string | null]> = [
    [{ type: 'int', 'connect.type': 'int16' }, 'smallint', -32768, '-32768'],
    ['int', 'integer', 7, '7'],
    ['long', 'bigint', 9223372036854775807n, '9223372036854775807'],
    ['float', 'real', Number.NaN, 'NaN'],
    ['double', 'double precision', -Infinity, '-Infinity'],
    ['boolean', 'boolean', true, 't'],
    ['string', 'text', 'x', 'x'],
    ['bytes', 'bytea', Buffer.from([0, 255]), '\\x00ff'],
    [
      {
        type: 'bytes',
        scale: 2,
        precision: 10,
        'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
        'connect.name': 'org.apache.kafka.connect.data.Decimal',
        logicalType: 'decimal',
      },
      'numeric(10,2)',
      Buffer.from([0x80]),
      '-1.28',
    ],
    [
      {
        type: 'record',
        name: 'VariableScaleDecimal',
        namespace: 'io.debezium.data',
        fields: [
          { name: 'scale', type: 'int' },
          { name: 'value', type: 'bytes' },
        ],
      },
      'numeric',
      { scale: 2, value: Buffer.from('3039', 'hex') },
      '123.45',
    ],
    [
      named('string', 'io.debezium.data.Uuid'),
      'uuid',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ],
    [named('string', 'io.debezium.data.Json'), 'jsonb', '{"a": 1}', '{"a": 1}'],
    [named('string', 'io.debezium.data.Xml'), 'xml', '<a/>', '<a/>'],
    [named('int', 'io.debezium.time.Date'), 'date', 17109, '2016-11-04'],
    [named('int', 'io.debezium.time.Time'), 'time(3)', 49890123, '13:51:30.123000'],
    [named('long', 'io.debezium.time.MicroTime'), 'time', 86400000000, '24:00:00'],
    [named('string', 'io.debezium.time.ZonedTime'), 'timetz', '11:51:30Z', '11:51:30+00'],
    [
      named('long', 'io.debezium.time.Timestamp'),
      'timestamp(3)',
      -1047174587392,
      '1936-10-25 22:10:12.608000',
    ],
    [named('long', 'io.debezium.time.MicroTimestamp'), 'timestamp', 0, '1970-01-01 00:00:00'],
    [
      named('string', 'io.debezium.time.ZonedTimestamp'),
      'timestamptz',
      '2020-04-01T11:51:02.000000Z',
      '2020-04-01T11:51:02.000000Z',
    ],
    [named('long', 'io.debezium.time.MicroDuration'), 'interval', -93600000000, '-26:00:00'],
    [
      named('string', 'io.debezium.data.Enum', { 'connect.parameters': { allowed: 'happy,sad' } }),
      'text',
      'sad',
      'sad',
    ],
    [
      named('bytes', 'io.debezium.data.Bits', { 'connect.parameters': { length: '3' } }),
      'varbit',
      Buffer.from([5]),
      '101',
    ],
    [{ type: 'array', items: ['null', 'int'] }, 'integer[]', [1, null, 3], '{"1",NULL,"3"}'],
    [{ type: 'array', items: ['null', 'string'] }, 'text[]', ['a"b'], '{"a\\"b"}'],
  ];
  for (const [avro, pgType, value, text] of cases) {
    it(`${JSON.stringify(avro).slice(0, 70)} → ${pgType}`, () => {
      const type = column(avro);
      assert.equal(type.pgType, pgType);
      assert.equal(type.nullable, false);
      assert.equal(type.toText(value), text);
    });
  }

  it('a ["null", T] union is a nullable T; null stays null', () => {
    const type = column(['null', 'long']);
    assert.equal(type.pgType, 'bigint');
    assert.equal(type.nullable, true);
    assert.equal(type.toText(null), null);
  });

  it('a decimal without a precision parameter (money) is plain numeric', () => {
    const type = column({
      type: 'bytes',
      scale: 2,
      precision: 64,
      'connect.parameters': { scale: '2' },
      'connect.name': 'org.apache.kafka.connect.data.Decimal',
      logicalType: 'decimal',
    });
    assert.equal(type.pgType, 'numeric');
  });

  it('refuses a value of the wrong shape with a TypeError (the processor names table and column)', () => {
    assert.throws(() => column('int').toText('seven'), TypeError);
    assert.throws(() => column('bytes').toText('not bytes'), TypeError);
  });
});
