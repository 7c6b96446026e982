import { FatalRecordError } from '@sluice/errors';

/**
 * The bytes are not a Confluent-framed Avro record Sluice can read: no magic byte 0, shorter than
 * the 5-byte header, or Avro that does not decode with its writer schema. Permanent for that record.
 */
export class CorruptRecordError extends FatalRecordError {
  constructor(
    message: string,
    readonly schemaId?: number,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: 'RECORD_CORRUPT' });
  }
}
