import type { Type } from 'avsc';
import { CorruptRecordError } from './corrupt-record-error';

/**
 * Confluent's wire format, which every Kafka client with a registry serde reads: one magic byte 0,
 * the schema id as a 4-byte big-endian integer, then the Avro binary encoding of the value.
 */
export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

/** One scratch buffer for every framed encoding: encoding is synchronous, so it is never shared. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * `value` encoded with `type` and framed for `schemaId`, in one pass: the Avro bytes go straight
 * after the header in a scratch buffer that grows to the largest record, then one copy out. (avsc's
 * toBuffer zero-fills a new buffer and encodes a value over 1 KiB twice; framing then copied it once
 * more.) Throws avsc's error when `value` does not match `type`.
 */
export function encodeFramed(type: Type, schemaId: number, value: unknown): Buffer {
  for (;;) {
    const end = type.encode(value, scratch, HEADER_SIZE);
    if (end >= 0) {
      scratch.writeUInt8(MAGIC_BYTE, 0);
      scratch.writeInt32BE(schemaId, 1);
      return Buffer.from(scratch.subarray(0, end));
    }
    // `end` is minus the bytes missing.
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
  }
}

export function frame(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  payload.copy(out, HEADER_SIZE);
  return out;
}

/** Splits a framed record; throws `CorruptRecordError` when the header is missing or wrong. */
export function unframe(buffer: Buffer): { schemaId: number; payload: Buffer } {
  if (buffer.length < HEADER_SIZE) {
    throw new CorruptRecordError(
      `Record of ${buffer.length} bytes is too short for the Confluent wire format (5-byte header)`,
    );
  }
  const magic = buffer.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new CorruptRecordError(
      `Record starts with byte ${magic}, not the Confluent magic byte 0: not written by a schema-registry serializer`,
    );
  }
  return { schemaId: buffer.readInt32BE(1), payload: buffer.subarray(HEADER_SIZE) };
}
