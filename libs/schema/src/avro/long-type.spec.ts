import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileAvroCodec } from './avsc-types';

describe('Avro long in Sluice (number while safe, bigint beyond)', () => {
  const codec = compileAvroCodec({
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: 'long' },
      { name: 'b', type: ['null', 'long'], default: null },
      { name: 'c', type: { type: 'long', 'connect.name': 'io.debezium.time.MicroTimestamp' } },
    ],
  });

  it('round-trips safe longs as numbers and larger ones as bigints, without rounding', () => {
    const value = { a: 42, b: 9_223_372_036_825_200_000n, c: -9_223_372_036_832_400_000n };
    assert.deepEqual({ ...(codec.decode(codec.encode(value)) as object) }, value);
    const small = { a: -1, b: null, c: Number.MAX_SAFE_INTEGER };
    assert.deepEqual({ ...(codec.decode(codec.encode(small)) as object) }, small);
    assert.deepEqual(
      { ...(codec.decode(codec.encode({ a: 7n, b: 1n, c: 0n })) as object) },
      { a: 7, b: 1, c: 0 },
    );
  });

  it('writes the same bytes as a plain Avro long (zig-zag varint)', () => {
    // 1 → 0x02, -1 → 0x01, 2^63-1 → ff..ff 01
    const one = compileAvroCodec('long');
    assert.deepEqual(one.encode(1), Buffer.from([2]));
    assert.deepEqual(one.encode(-1), Buffer.from([1]));
    assert.deepEqual(
      one.encode(2n ** 63n - 1n),
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
  });

  it('writes a safe number (fast path) byte for byte as the same value as a bigint', () => {
    const one = compileAvroCodec('long');
    const edges = [
      0,
      1,
      63,
      64,
      65,
      2 ** 31,
      2 ** 31 + 1,
      2 ** 52 - 1,
      2 ** 52,
      2 ** 52 + 1,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const n of [...edges, ...edges.map((e) => 0 - e + 0)]) {
      assert.deepEqual(one.encode(n), one.encode(BigInt(n)), `long ${n}`);
      assert.equal(one.decode(one.encode(n)), n);
    }
  });

  it('reads every long exactly, on both sides of the fast read path (|n| < 2^52)', () => {
    const one = compileAvroCodec('long');
    const edges = [
      0n,
      1n,
      63n,
      64n,
      2n ** 28n - 1n,
      2n ** 28n,
      2n ** 31n,
      2n ** 52n - 1n,
      2n ** 52n,
      2n ** 52n + 1n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
      2n ** 62n + 12_345n,
      2n ** 63n - 1n,
    ];
    for (const n of [...edges, ...edges.map((e) => -e), -(2n ** 63n)]) {
      const safe = n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
      assert.strictEqual(one.decode(one.encode(n)), safe ? Number(n) : n, `long ${n}`);
    }
    // Inside a record, after and before other fields: the read leaves the position right.
    const value = { a: -(2n ** 60n), b: 2 ** 52 - 1, c: -(2 ** 52) };
    assert.deepEqual({ ...(codec.decode(codec.encode(value)) as object) }, value);
  });

  it('reports a truncated long as a truncated buffer', () => {
    const one = compileAvroCodec('long');
    assert.throws(() => one.decode(Buffer.from([0xff, 0xff])), /truncated/);
    assert.throws(
      () => one.decode(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
      /truncated/,
    );
  });

  it('writes every long as the zig-zag varint the Avro specification defines, numbers and bigints alike', () => {
    const one = compileAvroCodec('long');
    // The specification's encoding, computed in BigInt: zig-zag, then 7 bits a byte, low first.
    const zigzag = (n: bigint): Buffer => {
      let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
      const bytes: number[] = [];
      do {
        const low = Number(z & 0x7fn);
        z >>= 7n;
        bytes.push(z > 0n ? low | 0x80 : low);
      } while (z > 0n);
      return Buffer.from(bytes);
    };
    const edges = [
      0n,
      1n,
      63n,
      64n,
      2n ** 31n,
      2n ** 52n - 1n,
      2n ** 52n,
      2n ** 52n + 1n,
      2n ** 53n,
      2n ** 63n - 1n,
    ];
    for (const n of [...edges, ...edges.map((e) => -e), -(2n ** 63n)]) {
      assert.deepEqual(one.encode(n), zigzag(n), `bigint ${n}`);
      if (Number.isSafeInteger(Number(n)) && BigInt(Number(n)) === n)
        assert.deepEqual(one.encode(Number(n)), zigzag(n), `number ${n}`);
    }
  });

  it('refuses unsafe numbers, fractions and out-of-range bigints instead of rounding them', () => {
    const one = compileAvroCodec('long');
    assert.equal(one.isValid(2 ** 60), false);
    assert.equal(one.isValid(1.5), false);
    assert.equal(one.isValid(2n ** 63n), false);
    assert.deepEqual(codec.invalidPaths({ a: 1.5, b: null, c: 0 }), ['a']);
  });
});
