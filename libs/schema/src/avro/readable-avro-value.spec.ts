import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decimalBytesText, decimalText, unscaledFromBytes } from './avro-decimal';
import { parseAvroSchema } from './parse-avro-schema';
import { readableAvroValue } from './readable-avro-value';

describe('Avro decimals', () => {
  it('reads two’s-complement unscaled bytes at their scale, exactly', () => {
    assert.equal(decimalBytesText(Buffer.from([0x80]), 2), '-1.28');
    assert.equal(decimalBytesText(Buffer.from('3039', 'hex'), 2), '123.45');
    assert.equal(decimalBytesText(Buffer.alloc(0), 2), '0.00');
    assert.equal(decimalText(5n, 3), '0.005');
    assert.equal(decimalText(-5n, 3), '-0.005');
    assert.equal(decimalText(123n, -2), '12300');
    assert.equal(unscaledFromBytes(Buffer.from('ff', 'hex')), -1n);
    assert.equal(
      decimalBytesText(Buffer.from('00ffffffffffffffffffff', 'hex'), 4),
      '120892581961462917470.6175',
      'beyond 64 bits',
    );
  });
});

describe('readableAvroValue', () => {
  const schema = parseAvroSchema(
    JSON.stringify({
      type: 'record',
      name: 'Envelope',
      fields: [
        {
          name: 'after',
          type: [
            'null',
            {
              type: 'record',
              name: 'Value',
              fields: [
                { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
                { name: 'blob', type: 'bytes' },
                { name: 'tags', type: { type: 'array', items: 'string' } },
                {
                  name: 'prices',
                  type: {
                    type: 'map',
                    values: {
                      type: 'fixed',
                      name: 'P',
                      size: 2,
                      logicalType: 'decimal',
                      precision: 4,
                      scale: 1,
                    },
                  },
                },
              ],
            },
          ],
          default: null,
        },
        { name: 'before', type: ['null', 'Value'], default: null },
        { name: 'either', type: ['null', 'string', 'bytes'], default: null },
      ],
    }),
  );

  it('shows decimals as their text, bytes as base64, through unions, arrays and maps', () => {
    const value = {
      after: {
        total: Buffer.from('3039', 'hex'),
        blob: Buffer.from('hi'),
        tags: ['a'],
        prices: { x: Buffer.from('0064', 'hex') },
      },
      before: null,
      either: Buffer.from('yo'),
    };
    assert.deepEqual(readableAvroValue(schema.type, value), {
      after: { total: '123.45', blob: 'aGk=', tags: ['a'], prices: { x: '10.0' } },
      before: null,
      either: 'eW8=',
    });
  });
});
