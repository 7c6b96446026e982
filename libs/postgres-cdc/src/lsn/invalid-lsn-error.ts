import { FatalRecordError } from '@sluice/errors';

/** A value that is not a Postgres log sequence number (`16/B374D848`, 0 .. 2^64-1, or 8 bytes). */
export class InvalidLsnError extends FatalRecordError {
  constructor(
    message: string,
    readonly input: unknown,
  ) {
    super(message, { code: 'LSN_INVALID' });
  }
}
