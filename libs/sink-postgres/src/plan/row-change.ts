import { type StreamRecord } from '@sluice/stream';
import { type TableConflictRule } from '../conflict/conflict-policy';
import { type ColumnType } from '../mapping/column-type';

/** A column of a target table as one schema version sees it. */
export interface ColumnPlan {
  readonly name: string;
  readonly type: ColumnType;
}

/** Per-table options from the configuration. */
export interface TableOptions {
  /** Append every change to `<table>_history` in the same transaction. */
  readonly history: boolean;
  /** An update with a full `before` writes only the columns it changed (field-level merge). */
  readonly merge: boolean;
  /** Two-way sync: the table's conflict rule (`tables.<topic>.conflictRule`, else `sync.rule`). */
  readonly conflictRule?: TableConflictRule;
}

/**
 * A target table as one value schema version describes it: the columns that version writes (a
 * subset of the table's after evolution) and the key columns. `signature` tells versions apart.
 */
export interface TargetTable {
  readonly schema: string;
  readonly name: string;
  /** `"schema"."name"`, quoted. */
  readonly qualified: string;
  readonly keyColumns: readonly ColumnPlan[];
  /** Every column this version writes, key columns included. */
  readonly columns: readonly ColumnPlan[];
  readonly signature: string;
  readonly options: TableOptions;
}

/** Where a change sits in its source: LSN then source ts_ms (LWW order); null when unknown. */
export interface SourcePosition {
  readonly lsn: bigint | null;
  readonly tsMs: bigint | null;
}

/** Orders positions as `(coalesce(lsn,-1), coalesce(ts,-1))` does in SQL. */
export function comparePositions(a: SourcePosition, b: SourcePosition): number {
  const al = a.lsn ?? -1n;
  const bl = b.lsn ?? -1n;
  if (al !== bl) return al < bl ? -1 : 1;
  const at = a.tsMs ?? -1n;
  const bt = b.tsMs ?? -1n;
  return at === bt ? 0 : at < bt ? -1 : 1;
}

/** One decoded change for the target database, as the sink's processor hands it to the delivery. */
export interface RowChange {
  readonly kind: 'upsert' | 'delete' | 'truncate';
  /** Debezium op (`c`,`u`,`d`,`r`,`t`), or `upsert`/`tombstone` for unwrapped topics. */
  readonly op: string;
  readonly table: TargetTable;
  /** Key column values as Postgres text, in `table.keyColumns` order (empty for truncate). */
  readonly key: readonly string[];
  /** JSON of `key`: identifies the row within its table. */
  readonly keyId: string;
  /** upsert: `table.columns` values as Postgres text. */
  readonly values: ReadonlyArray<string | null> | null;
  /**
   * `table.columns` values of the envelope's `before` as Postgres text, when the event has one
   * (two-way sync: a change made on top of the row here is no conflict). Full only with the
   * source table's REPLICA IDENTITY FULL.
   */
  readonly beforeValues?: ReadonlyArray<string | null>;
  /** merge: which of `table.columns` the change wrote (undefined: all). */
  readonly changed?: readonly boolean[];
  readonly position: SourcePosition;
  /** History and conflict records: `before`/`after` as JSON (Postgres text values), when known. */
  readonly before: string | null;
  readonly after: string | null;
  /** The consumed record (topic, partition, offset; the dead letter when the target refuses it). */
  readonly record: StreamRecord;
}
