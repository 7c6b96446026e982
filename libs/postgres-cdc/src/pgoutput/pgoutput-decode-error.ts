import { FatalRecordError } from '@sluice/errors';

/**
 * A pgoutput message Sluice cannot read: an unknown message or tuple type, a buffer that ends early,
 * a change for a relation never described. Permanent: the same bytes never decode.
 */
export class PgOutputDecodeError extends FatalRecordError {
  constructor(
    message: string,
    /** The message type byte as a character (`'I'`), when known. */
    readonly messageType: string | undefined,
    /** Byte offset in the decoded buffer where the problem was found. */
    readonly offset: number,
    code = 'PGOUTPUT_DECODE',
  ) {
    super(message, { code });
  }
}
