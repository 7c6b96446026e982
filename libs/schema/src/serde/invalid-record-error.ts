import { FatalRecordError } from '@sluice/errors';

/** A value does not match the schema it is encoded with; `paths` name the offending fields. */
export class InvalidRecordError extends FatalRecordError {
  constructor(
    message: string,
    readonly paths: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: 'RECORD_INVALID' });
  }
}
