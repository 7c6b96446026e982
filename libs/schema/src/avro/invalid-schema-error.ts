import { FatalRecordError } from '@sluice/errors';

/**
 * The text is not a valid Avro schema. Permanent: the same text will never parse. `location` is
 * the JSON-pointer-like path inside the schema (`/fields/1/type`, as Avro's compatibility messages
 * write it) and `fieldPath` the same place in field names (`Order.customer.address`), both empty
 * when the problem is the whole document (e.g. malformed JSON).
 */
export class InvalidSchemaError extends FatalRecordError {
  constructor(
    message: string,
    readonly location = '',
    readonly fieldPath = '',
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: 'SCHEMA_INVALID' });
  }
}
