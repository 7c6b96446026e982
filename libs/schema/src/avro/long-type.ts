import * as avro from 'avsc';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

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
  return avro.types.LongType.__with({
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
}
