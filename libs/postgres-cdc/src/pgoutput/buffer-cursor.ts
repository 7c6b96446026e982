import { Lsn } from '../lsn/lsn';
import { PgOutputDecodeError } from './pgoutput-decode-error';

/** Microseconds between 1970-01-01 and Postgres's epoch 2000-01-01. */
const PG_EPOCH_OFFSET_MICROS = 946_684_800_000_000n;

/** A Postgres `TimestampTz` from the wire: microseconds since 1970-01-01 UTC, and milliseconds. */
export interface PgTimestamp {
  readonly epochMicros: bigint;
  readonly epochMillis: number;
}

/**
 * A read position over one pgoutput message. Every read checks the bounds first, so a short buffer
 * gives a `PgOutputDecodeError` naming the message type and offset instead of a `RangeError`.
 * Reused across messages (`reset`) so decoding allocates nothing for the cursor itself.
 */
export class BufferCursor {
  buffer: Buffer = Buffer.alloc(0);
  position = 0;
  /** Where the current message starts, and its type, for error messages. */
  messageStart = 0;
  messageType: string | undefined;

  reset(buffer: Buffer, offset: number): void {
    this.buffer = buffer;
    this.position = offset;
    this.messageStart = offset;
    this.messageType = undefined;
  }

  get remaining(): number {
    return this.buffer.length - this.position;
  }

  fail(message: string, code?: string): never {
    throw new PgOutputDecodeError(message, this.messageType, this.position, code);
  }

  private need(bytes: number, what: string): void {
    if (this.position + bytes > this.buffer.length) {
      this.fail(
        `Truncated pgoutput ${this.describe()}: ${what} needs ${bytes} byte(s) at offset ${this.position}, ` +
          `but the buffer ends at ${this.buffer.length}`,
      );
    }
  }

  describe(): string {
    return this.messageType === undefined
      ? `message at offset ${this.messageStart}`
      : `'${this.messageType}' message at offset ${this.messageStart}`;
  }

  uint8(what: string): number {
    this.need(1, what);
    return this.buffer[this.position++];
  }

  int16(what: string): number {
    this.need(2, what);
    const value = this.buffer.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(what: string): number {
    this.need(4, what);
    const value = this.buffer.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  uint32(what: string): number {
    this.need(4, what);
    const value = this.buffer.readUInt32BE(this.position);
    this.position += 4;
    return value;
  }

  lsn(what: string): Lsn {
    this.need(8, what);
    const lsn = Lsn.fromBuffer(this.buffer, this.position);
    this.position += 8;
    return lsn;
  }

  timestamp(what: string): PgTimestamp {
    this.need(8, what);
    const epochMicros = this.buffer.readBigInt64BE(this.position) + PG_EPOCH_OFFSET_MICROS;
    this.position += 8;
    return { epochMicros, epochMillis: Number(epochMicros / 1000n) };
  }

  /** A NUL-terminated UTF-8 string. */
  cString(what: string): string {
    const end = this.buffer.indexOf(0, this.position);
    if (end === -1) {
      this.fail(
        `Truncated pgoutput ${this.describe()}: ${what} at offset ${this.position} has no terminating NUL byte`,
      );
    }
    const text = this.buffer.toString('utf8', this.position, end);
    this.position = end + 1;
    return text;
  }

  /** `length` bytes as UTF-8 text. */
  text(length: number, what: string): string {
    this.need(length, what);
    const text = this.buffer.toString('utf8', this.position, this.position + length);
    this.position += length;
    return text;
  }

  /** A copy of `length` bytes: safe to keep after the message buffer is reused. */
  bytes(length: number, what: string): Buffer {
    this.need(length, what);
    const copy = Buffer.from(this.buffer.subarray(this.position, this.position + length));
    this.position += length;
    return copy;
  }

  /** Throws unless the whole message was consumed (extra bytes mean a format Sluice misreads). */
  expectEnd(): void {
    if (this.position !== this.buffer.length) {
      this.fail(
        `Unexpected ${this.buffer.length - this.position} trailing byte(s) after pgoutput ${this.describe()}, ` +
          `at offset ${this.position}`,
      );
    }
  }
}
