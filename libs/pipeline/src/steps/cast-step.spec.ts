import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decimalBytesText, parseAvroSchema } from '@sluice/schema';
import type { WorkingRecord } from '../record/pipeline-record';
import { CastStep } from './cast-step';

/** Avro decimal bytes (two's complement, big-endian) of an unscaled value. */
function decimalBytes(unscaled: bigint): Buffer {
  let hex = BigInt.asUintN(64, unscaled).toString(16).padStart(16, '0');
  // Shortest two's-complement form, as Debezium writes it.
  while (
    hex.length > 2 &&
    ((hex.startsWith('00') && parseInt(hex[2], 16) < 8) ||
      (hex.startsWith('ff') && parseInt(hex[2], 16) >= 8))
  )
    hex = hex.slice(2);
  return Buffer.from(hex, 'hex');
}

describe('cast step on decimals', () => {
  it('renders exact decimal text for any sign and scale', () => {
    assert.equal(decimalBytesText(decimalBytes(123456n), 2), '1234.56');
    assert.equal(decimalBytesText(decimalBytes(-100n), 2), '-1.00');
    assert.equal(decimalBytesText(decimalBytes(5n), 3), '0.005');
    assert.equal(decimalBytesText(decimalBytes(-5n), 3), '-0.005');
    assert.equal(decimalBytesText(decimalBytes(42n), 0), '42');
    assert.equal(decimalBytesText(Buffer.alloc(0), 2), '0.00');
  });

  it('casts a decimal field to double or string, schema and value', () => {
    const value = parseAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'Row',
        fields: [
          { name: 'id', type: 'int' },
          { name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
          {
            name: 'tax',
            type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
            default: null,
          },
        ],
      }),
    ).type;
    const step = new CastStep({ total: 'double', tax: 'string' });
    const derived = step.deriveSchema({ value });
    const fields = (derived.value as unknown as { fields: Array<{ name: string; type: unknown }> }).fields;
    assert.equal((fields[1].type as { name: string }).name, 'double');
    const record = {
      metadata: {},
      key: null,
      value: { id: 1, total: decimalBytes(150099n), tax: decimalBytes(-1n) },
      headers: [],
    } as unknown as WorkingRecord;
    const out = step.apply(record) as WorkingRecord;
    assert.deepEqual(out.value, { id: 1, total: 1500.99, tax: '-0.01' });
  });

  it('refuses a decimal cast to an integer type', () => {
    const value = parseAvroSchema(
      JSON.stringify({
        type: 'record',
        name: 'Row',
        fields: [{ name: 'total', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } }],
      }),
    ).type;
    assert.throws(() => new CastStep({ total: 'int' }).deriveSchema({ value }), /cannot cast "total"/);
  });
});
