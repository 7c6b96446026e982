import { InvalidLsnError } from './invalid-lsn-error';

const MAX = 0xffff_ffff_ffff_ffffn;
const TEXT_FORM = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * A Postgres log sequence number: an unsigned 64-bit position in the write-ahead log. A value type
 * (as Debezium's `Lsn`): immutable, compared by value, never passed around as a bare string or
 * bigint. Text form is Postgres's `%X/%08X` (`16/B374D848`, `0/0155F8E8`); parsing accepts the
 * unpadded form older servers print as well.
 */
export class Lsn {
  /** `InvalidXLogRecPtr`: Postgres's "no position". */
  static readonly INVALID = new Lsn(0n);

  private constructor(private readonly value: bigint) {}

  /** Parses `'16/B374D848'`. Throws `InvalidLsnError` naming the input otherwise. */
  static parse(text: string): Lsn {
    const match = typeof text === 'string' ? TEXT_FORM.exec(text) : null;
    if (match === null) {
      throw new InvalidLsnError(
        `Not a Postgres LSN: ${JSON.stringify(text)} (expected two hex numbers of up to 8 digits, like '16/B374D848')`,
        text,
      );
    }
    return new Lsn((BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`));
  }

  static fromBigInt(value: bigint): Lsn {
    if (typeof value !== 'bigint' || value < 0n || value > MAX) {
      throw new InvalidLsnError(
        `Not a Postgres LSN: ${String(value)} (expected a bigint in 0 .. 2^64-1)`,
        value,
      );
    }
    return value === 0n ? Lsn.INVALID : new Lsn(value);
  }

  /** Reads 8 bytes, big-endian (the wire form of the replication protocol), at `offset`. */
  static fromBuffer(buffer: Buffer, offset = 0): Lsn {
    if (!Number.isInteger(offset) || offset < 0 || offset + 8 > buffer.length) {
      throw new InvalidLsnError(
        `Cannot read an LSN at offset ${offset} of a ${buffer.length}-byte buffer (8 bytes needed)`,
        buffer,
      );
    }
    const value = buffer.readBigUInt64BE(offset);
    return value === 0n ? Lsn.INVALID : new Lsn(value);
  }

  /** False only for `Lsn.INVALID` (0/0). */
  get isValid(): boolean {
    return this.value !== 0n;
  }

  toBigInt(): bigint {
    return this.value;
  }

  /** 8 bytes, big-endian. */
  toBuffer(): Buffer {
    const buffer = Buffer.allocUnsafe(8);
    buffer.writeBigUInt64BE(this.value);
    return buffer;
  }

  /** Negative, 0 or positive as this position is before, at or after `other`. */
  compareTo(other: Lsn): number {
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  equals(other: Lsn): boolean {
    return this.value === other.value;
  }

  isBefore(other: Lsn): boolean {
    return this.value < other.value;
  }

  isAfter(other: Lsn): boolean {
    return this.value > other.value;
  }

  /** This position moved by `bytes` (may be negative); throws when leaving 0 .. 2^64-1. */
  add(bytes: bigint | number): Lsn {
    const delta = typeof bytes === 'bigint' ? bytes : Number.isSafeInteger(bytes) ? BigInt(bytes) : NaN;
    if (typeof delta !== 'bigint') {
      throw new InvalidLsnError(
        `Cannot add ${String(bytes)} to LSN ${this.toString()} (not an integer)`,
        bytes,
      );
    }
    const sum = this.value + delta;
    if (sum < 0n || sum > MAX) {
      throw new InvalidLsnError(`LSN ${this.toString()} + ${String(bytes)} is outside 0 .. 2^64-1`, bytes);
    }
    return Lsn.fromBigInt(sum);
  }

  /** `%X/%08X`, as Postgres 18 prints it. */
  toString(): string {
    const high = (this.value >> 32n).toString(16).toUpperCase();
    const low = (this.value & 0xffff_ffffn).toString(16).toUpperCase().padStart(8, '0');
    return `${high}/${low}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
