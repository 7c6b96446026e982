import {
  classifyPostgresFailure,
  DependencyUnavailableError,
  FatalRecordError,
  RetriableError,
  SluiceError,
} from '@sluice/errors';

/** A decoded value the target column cannot take (wrong shape, out of range). Dead-lettered. */
export class UnmappableValueError extends FatalRecordError {
  constructor(table: string, column: string, detail: string, options?: { cause?: unknown }) {
    super(`value of ${table}.${column} cannot be written: ${detail}`, {
      ...options,
      code: 'SINK_VALUE_UNMAPPABLE',
    });
  }
}

/** A record the sink cannot read as a row change (no key, an unexpected schema). Dead-lettered. */
export class UnsupportedRecordError extends FatalRecordError {
  constructor(message: string) {
    super(message, { code: 'SINK_RECORD_UNSUPPORTED' });
  }
}

/**
 * The value schema asks for a change the target table cannot take additively (a column's type
 * changed). The records of that schema are dead-lettered; the table is never altered destructively.
 */
export class IncompatibleTableError extends FatalRecordError {
  constructor(table: string, detail: string) {
    super(`table ${table} cannot take the new schema: ${detail}`, { code: 'SINK_TABLE_INCOMPATIBLE' });
  }
}

/** The target database refused a row (constraint, a value out of the column's range). Dead-lettered. */
export class TargetRejectedRowError extends FatalRecordError {
  constructor(
    table: string,
    readonly sqlState: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${table} refused the row (SQLSTATE ${sqlState}): ${detail}`, {
      ...options,
      code: 'SINK_ROW_REJECTED',
    });
  }
}

/**
 * A table's conflict resolution function (two-way sync) raised an error or answered something that
 * is no decision and no row of the table. The change is dead-lettered (class SINK_CONFLICT_FUNCTION),
 * the row here left as it was; the record can be replayed once the function is fixed.
 */
export class ConflictFunctionError extends FatalRecordError {
  constructor(
    table: string,
    readonly sqlState: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${table}: the conflict resolution function could not decide: ${detail}`, {
      ...options,
      code: 'SINK_CONFLICT_FUNCTION',
    });
  }
}

/**
 * Another owner claimed the partition since this one read its offset (a rebalance, a zombie after
 * a pause, a claim of a runtime this process already replaced): the batch's transaction is rolled
 * back and nothing of it is written. Retriable: the runtime is started again and joins the group
 * anew, as a Kafka Streams member does when its producer is fenced — the partition is the new
 * owner's, or claimed again. Nothing about the process is wrong, so it does not exit.
 */
export class PartitionFencedError extends RetriableError {
  constructor(group: string, topic: string, partition: number) {
    super(`${group} ${topic}[${partition}]: another sink instance claimed the partition; batch rolled back`, {
      code: 'SINK_PARTITION_FENCED',
    });
  }
}

/**
 * The target database is unreachable or the transaction was cut off: retried, and a record's work
 * still failing so is no fault of the record: the runtime restarts from its commit, never the DLQ.
 */
export class TargetUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'SINK_TARGET_UNAVAILABLE' });
  }
}

/**
 * Connection trouble, a rolled-back transaction (deadlock, serialization failure), a server short of
 * resources or shutting down: redo the work. A server error is judged by its SQLSTATE
 * (`classifyPostgresFailure`); any other error from the client or the producer (a socket error,
 * "connection terminated", a pool timeout) is taken as connection trouble; Sluice errors and bugs are not.
 */
export function isTransientTargetFailure(error: unknown): boolean {
  if (error instanceof SluiceError || error instanceof TypeError || error instanceof RangeError) return false;
  return classifyPostgresFailure(error)?.transient ?? error instanceof Error;
}

/**
 * A failed catalogue query or DDL as the runtime must see it: a transient failure as
 * TargetUnavailableError (the target's outage, not the record's fault: retried, never
 * dead-lettered); a server error about the statement itself, a Sluice error or a bug as it was.
 */
export function targetFailure(error: unknown): unknown {
  return isTransientTargetFailure(error)
    ? new TargetUnavailableError(`target database: ${(error as Error).message}`, { cause: error })
    : error;
}
