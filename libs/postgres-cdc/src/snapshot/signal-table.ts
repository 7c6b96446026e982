import { FatalRecordError } from '@sluice/errors';
import type { InsertMessage, Relation } from '../pgoutput/pgoutput-message';
import type { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, quotedName, type TableName } from '../replication/table-name';

/** Debezium's `execute-snapshot` signal: snapshot these tables again, incrementally. */
export interface ExecuteSnapshotSignal {
  readonly id: string;
  readonly type: 'execute-snapshot';
  /** `schema.table` names (Debezium's data-collections). */
  readonly dataCollections: readonly string[];
  readonly snapshotType: 'incremental' | 'blocking';
}

/** Any other signal (stop-snapshot, pause-snapshot, resume-snapshot, log...), data parsed as JSON. */
export interface OtherSignal {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
}

export type Signal = ExecuteSnapshotSignal | OtherSignal;

/** A signal row Sluice cannot act on. Permanent for that row: log it and go on. */
export class InvalidSignalError extends FatalRecordError {
  constructor(message: string) {
    super(message, { code: 'PG_SIGNAL_INVALID' });
  }
}

/**
 * Debezium's signal table (`id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data
 * varchar(2048)`): a row inserted there and captured by the publication asks the source for an
 * action, in stream order. Sluice reads the same shape, so Debezium's tooling and habits carry over.
 */
export class SignalTable {
  constructor(readonly name: TableName) {}

  /** CREATE TABLE IF NOT EXISTS with Debezium's columns. */
  async create(session: PostgresSession): Promise<void> {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${quotedName(this.name)} (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048) NULL)`,
      [],
      `Creating signal table ${qualifiedName(this.name)}`,
    );
  }

  /** Writes a signal row (what `sluice snapshot` and the management API do). */
  async send(session: PostgresSession, signal: { id: string; type: string; data: unknown }): Promise<void> {
    await session.query(
      `INSERT INTO ${quotedName(this.name)} (id, type, data) VALUES ($1, $2, $3)`,
      [signal.id, signal.type, JSON.stringify(signal.data)],
      `Writing signal ${signal.id} into ${qualifiedName(this.name)}`,
    );
  }

  matches(relation: Relation): boolean {
    return relation.schema === this.name.schema && relation.table === this.name.table;
  }

  /** The signal an insert into the signal table carries; throws `InvalidSignalError` naming what is wrong. */
  parse(insert: InsertMessage): Signal {
    const where = `signal table ${qualifiedName(this.name)}`;
    const value = (column: string): string | null => {
      const index = insert.relation.columns.findIndex((c) => c.name === column);
      if (index < 0)
        throw new InvalidSignalError(`The ${where} has no column ${column} (expected id, type, data)`);
      const v = insert.newValues[index];
      return typeof v === 'string' ? v : null;
    };
    const id = value('id');
    const type = value('type');
    const text = value('data');
    if (id === null || type === null)
      throw new InvalidSignalError(`A row of the ${where} lacks its id or type`);
    let data: unknown = null;
    if (text !== null && text !== '') {
      try {
        data = JSON.parse(text);
      } catch {
        throw new InvalidSignalError(`Signal ${id} in the ${where}: data is not JSON: ${text.slice(0, 200)}`);
      }
    }
    if (type !== 'execute-snapshot') return { id, type, data };
    const body = (data ?? {}) as { 'data-collections'?: unknown; type?: unknown };
    const collections = body['data-collections'];
    if (
      !Array.isArray(collections) ||
      collections.length === 0 ||
      !collections.every((c) => typeof c === 'string')
    ) {
      throw new InvalidSignalError(
        `Signal ${id} (execute-snapshot) in the ${where}: data needs "data-collections", a non-empty array of "schema.table"`,
      );
    }
    const snapshotType = body.type === undefined ? 'incremental' : String(body.type).toLowerCase();
    if (snapshotType !== 'incremental' && snapshotType !== 'blocking') {
      throw new InvalidSignalError(
        `Signal ${id} (execute-snapshot) in the ${where}: type ${JSON.stringify(body.type)} is not incremental or blocking`,
      );
    }
    return { id, type, dataCollections: collections as string[], snapshotType };
  }
}

export function isExecuteSnapshot(signal: Signal): signal is ExecuteSnapshotSignal {
  return signal.type === 'execute-snapshot';
}
