import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectStructText } from './connect-header-text';
import { decimalSchema, VARIABLE_SCALE_DECIMAL_SCHEMA } from './scalar-mappings';

describe('connectStructText (a key Struct as SimpleHeaderConverter writes it, Values.convertToString)', () => {
  it('quotes names and strings (only \\ and " escaped), leaves numbers and booleans bare', () => {
    assert.equal(
      connectStructText(
        [
          { field: 'id', schema: 'int' },
          { field: 'code', schema: 'string' },
          { field: 'ok', schema: 'boolean' },
          { field: 'big', schema: 'long' },
          { field: 'none', schema: ['null', 'string'] },
        ],
        { id: 2, code: 'a"b\\c\nd', ok: true, big: 9007199254740993n, none: null },
      ),
      '{"id":2,"code":"a\\"b\\\\c\nd","ok":true,"big":9007199254740993,"none":null}',
    );
  });

  it('writes bytes as quoted base64, a Decimal as its number, doubles as Java does, structs nested', () => {
    assert.equal(
      connectStructText(
        [
          { field: 'raw', schema: 'bytes' },
          { field: 'price', schema: decimalSchema(10, 2) },
          { field: 'neg', schema: decimalSchema(10, 3) },
          { field: 'ratio', schema: 'double' },
          { field: 'half', schema: 'double' },
          { field: 'n', schema: VARIABLE_SCALE_DECIMAL_SCHEMA },
          { field: 'tags', schema: { type: 'array', items: ['null', 'string'] } },
        ],
        {
          raw: Buffer.from([1, 2, 255]),
          price: Buffer.from([0x04, 0xd2]), // 1234 → 12.34
          neg: Buffer.from([0xff, 0xfb]), // -5 → -0.005
          ratio: 1,
          half: 0.5,
          n: { scale: 1, value: Buffer.from([0x7b]) },
          tags: ['a', null],
        },
      ),
      '{"raw":"AQL/","price":12.34,"neg":-0.005,"ratio":1.0,"half":0.5,"n":{"scale":1,"value":"ew=="},"tags":["a",null]}',
    );
  });
});
