import { FatalRecordError } from '@sluice/errors';

/**
 * A column value the column's Avro schema cannot carry or whose text Sluice cannot read (a NaN
 * numeric under `decimal.handling.mode=precise`, an unexpected output format). Debezium stops the
 * connector here too; Sluice names the table, column and value so the cause is plain.
 */
export class UnrepresentableValueError extends FatalRecordError {
  constructor(
    message: string,
    readonly column: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code: 'CDC_UNREPRESENTABLE_VALUE' });
  }
}
