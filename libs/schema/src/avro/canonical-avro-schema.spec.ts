import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAvroSchema } from './canonical-avro-schema';
import { InvalidSchemaError } from './invalid-schema-error';

const same = (a: string, b: string) => assert.equal(canonicalAvroSchema(a), canonicalAvroSchema(b));
const differ = (a: string, b: string) => assert.notEqual(canonicalAvroSchema(a), canonicalAvroSchema(b));

describe('canonicalAvroSchema', () => {
  it('ignores whitespace and the order of attributes inside objects', () => {
    same(
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1,"doc":"d"}]}',
      `{
        "fields": [ { "doc": "d", "default": 1, "type": "int", "name": "a" } ],
        "name": "R",
        "type": "record"
      }`,
    );
  });

  it('writes a primitive given as {"type":"string"} as "string"', () => {
    same(
      '{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"string"}}]}',
      '{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}',
    );
    assert.equal(canonicalAvroSchema('{"type":"long"}'), '"long"');
  });

  it('sorts custom properties and the keys of their values (connect.parameters)', () => {
    same(
      '{"type":"bytes","scale":2,"precision":10,"connect.name":"org.apache.kafka.connect.data.Decimal","connect.parameters":{"scale":"2","connect.decimal.precision":"10"},"logicalType":"decimal"}',
      '{"logicalType":"decimal","connect.parameters":{"connect.decimal.precision":"10","scale":"2"},"precision":10,"scale":2,"type":"bytes","connect.name":"org.apache.kafka.connect.data.Decimal"}',
    );
  });

  it('normalises a dotted name and a name plus namespace to the same thing', () => {
    same(
      '{"type":"record","name":"a.b.R","fields":[]}',
      '{"type":"record","name":"R","namespace":"a.b","fields":[]}',
    );
  });

  it('drops the default field order only', () => {
    same(
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"ascending"}]}',
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
    );
    differ(
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"descending"}]}',
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}',
    );
  });

  it('keeps field order, names, defaults, docs, aliases, logical types and properties significant', () => {
    const base =
      '{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}';
    differ(
      base,
      '{"type":"record","name":"R","fields":[{"name":"b","type":"string"},{"name":"a","type":"int"}]}',
    );
    differ(base, base.replace('"name":"b"', '"name":"c"'));
    differ(base, base.replace('"type":"int"}', '"type":"int","default":0}'));
    differ(base, base.replace('"type":"int"}', '"type":"int","doc":"x"}'));
    differ(base, base.replace('"type":"int"}', '"type":"int","aliases":["z"]}'));
    differ(base, base.replace('"type":"int"}', '"type":{"type":"int","logicalType":"date"}}'));
    differ(base, base.replace('"type":"string"}', '"type":{"type":"string","connect.name":"x"}}'));
    differ(base, base.replace('"name":"R"', '"name":"R","doc":"record doc"'));
  });

  it('writes a named type once and refers to it by name afterwards, as Java Avro does', () => {
    assert.equal(
      canonicalAvroSchema(
        JSON.stringify({
          type: 'record',
          name: 'Node',
          namespace: 'x',
          fields: [
            { name: 'next', type: ['null', 'Node'], default: null },
            { name: 'kind', type: { type: 'enum', name: 'Kind', namespace: 'y', symbols: ['A'] } },
            { name: 'kind2', type: 'y.Kind' },
          ],
        }),
      ),
      '{"type":"record","name":"Node","namespace":"x","fields":[' +
        '{"name":"next","type":["null","Node"],"default":null},' +
        '{"name":"kind","type":{"type":"enum","name":"Kind","namespace":"y","symbols":["A"]}},' +
        '{"name":"kind2","type":"y.Kind"}]}',
    );
  });

  it('refuses invalid schemas', () => {
    assert.throws(() => canonicalAvroSchema('{"type":"nope"}'), InvalidSchemaError);
  });
});
