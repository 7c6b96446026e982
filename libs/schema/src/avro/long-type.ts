import * as avro from 'avsc';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
/** The tap's float zig-zag is exact up to here. */
const FAST = 2 ** 52;
const FAST_BIG = 2n ** 52n;

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value >= MIN && value <= MAX ? value : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return undefined;
}

/**
 * Avro `long` as JavaScript sees it in Sluice: a `number` while it is a safe integer (the usual
 * case, and what code reading events expects), a `bigint` beyond ±2^53 (a Postgres bigint id, a
 * timestamp in microseconds past year 2255, Debezium's ±infinity markers). Writers accept both;
 * readers answer a number when it is safe, else a bigint — so no long is ever rounded.
 */
export function createLongType(): avro.Type {
  const type = avro.types.LongType.__with({
    fromBuffer: (buf: Buffer): number | bigint => {
      const value = buf.readBigInt64LE(0);
      return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
    },
    toBuffer: (value: number | bigint): Buffer => {
      const buf = Buffer.allocUnsafe(8);
      buf.writeBigInt64LE(toBigInt(value) ?? 0n, 0);
      return buf;
    },
    fromJSON: (json: unknown): number | bigint => {
      const value = toBigInt(json);
      if (value === undefined) throw new Error(`invalid long: ${String(json)}`);
      return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
    },
    toJSON: (value: number | bigint): number => Number(value),
    isValid: (value: unknown): boolean => toBigInt(value) !== undefined,
    compare: (a: number | bigint, b: number | bigint): number => {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    },
  });
  // Hot path: avsc's abstract long writes through toBuffer (an 8-byte Buffer and a BigInt per
  // value, then repacks it). A safe-integer number, nearly every long written, goes straight to
  // the tap's own zig-zag varint, byte for byte what the slow path writes; so does a bigint in the
  // same range (a CDC event's LSN and microsecond times). Only up to ±2^52: the
  // tap zig-zags in floating point, exact while 2|n| + 1 is.
  // Reading is the mirror image: avsc's abstract long unpacks every value into a new 8-byte Buffer
  // and a BigInt (about 1 KB of garbage per CDC event). The tap's own varint read is exact while
  // the zig-zag value is below 2^53, that is for |n| < 2^52; anything else is read again the slow way.
  // (avsc freezes the type; the fast one is a frozen object inheriting from it.)
  const { _write: packed, _read: unpacked } = type as unknown as LongCodec;
  const fast = Object.create(type) as LongCodec;
  fast._write = function (tap, value) {
    if (typeof value === 'number' && Number.isInteger(value) && value <= FAST && value >= -FAST)
      tap.writeLong(value);
    else if (typeof value === 'bigint' && value <= FAST_BIG && value >= -FAST_BIG)
      tap.writeLong(Number(value));
    else packed.call(this, tap, value);
  };
  fast._read = function (tap) {
    const start = tap.pos;
    const value = tap.readLong();
    if (value < FAST && value > -FAST) return value;
    tap.pos = start;
    return unpacked.call(this, tap);
  };
  return Object.freeze(fast) as unknown as avro.Type;
}

/** The avsc internals the fast paths use (not in avsc's typings). */
interface LongCodec {
  _write(this: unknown, tap: { writeLong(n: number): void }, value: unknown): void;
  _read(this: unknown, tap: { pos: number; readLong(): number }): number | bigint | undefined;
}
