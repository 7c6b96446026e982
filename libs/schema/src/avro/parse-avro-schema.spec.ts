import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { InvalidSchemaError } from './invalid-schema-error';
import { parseAvroSchema } from './parse-avro-schema';

function rejects(schema: unknown, message: RegExp, location?: string): void {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
  assert.throws(
    () => parseAvroSchema(text),
    (err: unknown) => {
      assert.ok(err instanceof InvalidSchemaError, `expected InvalidSchemaError, got ${String(err)}`);
      assert.match(err.message, message);
      if (location !== undefined) assert.equal(err.location, location);
      return true;
    },
  );
}

describe('parseAvroSchema', () => {
  it('parses records, enums, fixed, arrays, maps, unions and logical types into one type graph', () => {
    const schema = parseAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'Order',
        namespace: 'shop',
        fields: [
          { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
          { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
          { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
          {
            name: 'status',
            type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID'], default: 'NEW' },
          },
          { name: 'hash', type: { type: 'fixed', name: 'Md5', size: 16 } },
          { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
          { name: 'attrs', type: { type: 'map', values: ['null', 'long'] }, default: {} },
          { name: 'previous', type: ['null', 'Order'], default: null },
        ],
      }),
    );
    assert.equal(schema.type.kind, 'record');
    assert.deepEqual([...schema.namedTypes.keys()], ['shop.Order', 'shop.Status', 'shop.Md5']);
    if (schema.type.kind !== 'record') return;
    const [id, amount, at, , , , , previous] = schema.type.fields;
    assert.deepEqual(id.type.kind === 'primitive' && id.type.logicalType, { name: 'uuid' });
    assert.deepEqual(amount.type.kind === 'primitive' && amount.type.logicalType, {
      name: 'decimal',
      precision: 10,
      scale: 2,
    });
    assert.deepEqual(at.type.kind === 'primitive' && at.type.logicalType, { name: 'timestamp-micros' });
    // the recursive reference is the record itself, not a copy
    assert.equal(previous.type.kind === 'union' && previous.type.branches[1], schema.type);
    assert.deepEqual(previous.default, { value: null });
  });

  it('ignores an invalid logical type and keeps the underlying type, as the specification asks', () => {
    const schema = parseAvroSchema('{"type":"bytes","logicalType":"decimal","precision":2,"scale":5}');
    assert.equal(schema.type.kind === 'primitive' && schema.type.logicalType, undefined);
    assert.deepEqual(schema.type.kind === 'primitive' && schema.type.props, {
      logicalType: 'decimal',
      precision: 2,
      scale: 5,
    });
  });

  it('is a FatalRecordError with code SCHEMA_INVALID', () => {
    const err = (() => {
      try {
        parseAvroSchema('{');
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof FatalRecordError);
    assert.equal((err as InvalidSchemaError).code, 'SCHEMA_INVALID');
  });

  it('rejects malformed JSON', () => rejects('{"type": "record", ', /not valid JSON/));

  it('rejects an unknown primitive or named type, naming the field', () =>
    rejects(
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'strin' }] },
      /R\.a \(\/fields\/0\/type\): unknown type "strin"/,
      '/fields/0/type',
    ));

  it('rejects a reference to a type that is only defined later', () =>
    rejects(
      {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'E' },
          { name: 'b', type: { type: 'enum', name: 'E', symbols: ['X'] } },
        ],
      },
      /unknown type "E"/,
    ));

  it('rejects duplicate field names', () =>
    rejects(
      {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: 'int' },
          { name: 'a', type: 'long' },
        ],
      },
      /R\.a \(\/fields\/1\): duplicate field name "a"/,
    ));

  it('rejects a default that does not fit the field type', () =>
    rejects(
      { type: 'record', name: 'R', fields: [{ name: 'n', type: 'int', default: 'five' }] },
      /R\.n \(\/fields\/0\): invalid default for field "n": "five" is not a valid "int"/,
    ));

  it("rejects a union default that is not of the union's first branch", () =>
    rejects(
      { type: 'record', name: 'R', fields: [{ name: 'n', type: ['null', 'string'], default: 'x' }] },
      /must match its first branch/,
    ));

  it('rejects a nested default problem with its path', () =>
    rejects(
      {
        type: 'record',
        name: 'R',
        fields: [
          {
            name: 'inner',
            type: {
              type: 'record',
              name: 'I',
              fields: [{ name: 'x', type: { type: 'array', items: 'int' } }],
            },
            default: { x: [1, 'two'] },
          },
        ],
      },
      /field "x": item 1: "two" is not a valid "int"/,
    ));

  it('rejects invalid names, duplicate symbols, bad enum defaults, bad fixed sizes and nested unions', () => {
    rejects({ type: 'record', name: '1R', fields: [] }, /invalid name "1R"/);
    rejects({ type: 'enum', name: 'E', symbols: ['A', 'A'] }, /duplicate enum symbol "A"/);
    rejects(
      { type: 'enum', name: 'E', symbols: ['A'], default: 'B' },
      /enum default "B" is not one of its symbols/,
    );
    rejects({ type: 'fixed', name: 'F', size: -1 }, /non-negative integer "size"/);
    rejects(['null', ['int']], /may not directly contain another union/, '/1');
    rejects(['string', { type: 'string' }], /already has a "string" branch/);
    rejects({ type: 'record', name: 'R', fields: {} }, /"fields" must be an array/);
    rejects({ type: 'record', name: 'R', fields: [{ name: 'a' }] }, /field "a" has no "type"/);
  });

  it('rejects a named type defined twice', () =>
    rejects(
      {
        type: 'record',
        name: 'R',
        fields: [
          { name: 'a', type: { type: 'fixed', name: 'F', size: 1 } },
          { name: 'b', type: { type: 'fixed', name: 'F', size: 2 } },
        ],
      },
      /the type "F" is defined twice/,
    ));

  it('resolves names against the enclosing namespace and the null namespace', () => {
    const schema = parseAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'a.b.Outer',
        fields: [
          { name: 'x', type: { type: 'enum', name: 'E', symbols: ['A'] } },
          { name: 'y', type: 'E' },
          { name: 'z', type: 'a.b.E' },
        ],
      }),
    );
    assert.deepEqual([...schema.namedTypes.keys()], ['a.b.Outer', 'a.b.E']);
  });
});
