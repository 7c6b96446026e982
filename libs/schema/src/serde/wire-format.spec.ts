import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileAvroCodec, createAvscType } from '../avro/avsc-types';
import { encodeFramed, frame, unframe } from './wire-format';

const SCHEMA = {
  type: 'record',
  name: 'Row',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'note', type: ['null', 'string'] },
  ],
};

describe('wire format', () => {
  it('encodeFramed writes what framing avsc’s own encoding writes, for small values and for ones past the scratch buffer', () => {
    const type = createAvscType(SCHEMA);
    for (const note of [null, 'a', 'é'.repeat(600), 'x'.repeat(40_000), 'y'.repeat(100_000)]) {
      const value = { id: 7, note };
      const framed = encodeFramed(type, 42, value);
      assert.deepEqual(framed, frame(42, type.toBuffer(value)));
      const { schemaId, payload } = unframe(framed);
      assert.equal(schemaId, 42);
      assert.deepEqual({ ...(type.fromBuffer(payload) as object) }, value);
    }
  });

  it('a framed record owns its bytes: the next encoding does not change it', () => {
    const codec = compileAvroCodec(SCHEMA);
    const first = codec.encodeFramed(1, { id: 1, note: 'first' });
    const copy = Buffer.from(first);
    codec.encodeFramed(2, { id: 2, note: 'second, longer than the first' });
    assert.deepEqual(first, copy);
  });

  it('encodeFramed refuses a value that does not match the schema', () => {
    const codec = compileAvroCodec(SCHEMA);
    assert.throws(() => codec.encodeFramed(1, { id: 'one', note: null }));
  });
});
