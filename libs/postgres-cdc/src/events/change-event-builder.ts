import type { Lsn } from '../lsn/lsn';
import { type TupleValue, UNCHANGED_TOAST } from '../pgoutput/pgoutput-message';
import { connectStructText, NEW_KEY_HEADER, OLD_KEY_HEADER } from '../values/connect-header-text';
import { UnrepresentableValueError } from '../values/unrepresentable-value-error';
import type { EnvelopeValue, SnapshotMarker, SourceInfo, TransactionBlock } from './source-schema';
import type { ColumnSlot, TableSchema } from './table-schema';

/** Where a change comes from: what Debezium writes into `source` (and `transaction`). */
export interface SourcePosition {
  /** LSN of the change (streaming) or of the snapshot's consistent point. */
  readonly lsn: Lsn;
  /** LSN of the last committed transaction, for `source.sequence` (Debezium's lastCommitLsn). */
  readonly lastCommitLsn?: Lsn;
  readonly txId?: number;
  /** Commit time of the transaction (snapshot: read time), microseconds since the epoch. */
  readonly commitTimeMicros: bigint;
  /** 'false' or absent while streaming. */
  readonly snapshot?: SnapshotMarker;
  readonly transaction?: TransactionBlock;
  /** The transaction's replication origin (a pgoutput Origin message before its changes). */
  readonly origin?: { readonly name: string; readonly lsn: Lsn };
}

/** One Kafka record to produce: `value` null is a tombstone. */
export interface ChangeEvent {
  readonly topic: string;
  readonly key: Record<string, unknown> | null;
  readonly value: EnvelopeValue | null;
  readonly schema: TableSchema;
  /** Kafka headers of the event itself (Debezium's `__debezium.newkey`/`oldkey` of a key change). */
  readonly headers?: Record<string, string>;
}

export interface ChangeEventBuilderOptions {
  /** Debezium's tombstones.on.delete. Default true. */
  readonly tombstonesOnDelete?: boolean;
  /** `source.version`. Default `sluice`. */
  readonly connectorVersion?: string;
  /** Processing time in microseconds since the epoch (the envelope's ts_*). Default: the clock. */
  readonly nowMicros?: () => bigint;
  /**
   * Debezium's skipped.operations: streamed changes of these operations are not published (a
   * skipped delete takes its tombstone along; a key change is a delete and a create, each skipped
   * by its own operation). Snapshot reads are never skipped. Default: truncates (`t`).
   */
  readonly skippedOperations?: Iterable<'c' | 'u' | 'd' | 't'>;
  /**
   * Called when a value with no form in its column's schema is written as null (numeric NaN or
   * ±Infinity under decimal.handling.mode=precise), as Debezium's default
   * event.converting.failure.handling.mode=warn does. Default: nothing.
   */
  readonly onValueNulled?: (column: string, text: string) => void;
  /**
   * Debezium's event.processing.failure.handling.mode, for a row a value of which cannot be
   * written (UnrepresentableValueError): `fail` throws it (the source stops); `warn` and `skip`
   * leave the row's events out, `warn` calling `onEventSkipped`. Default fail.
   */
  readonly processingFailureHandling?: ProcessingFailureHandling;
  /** Under `warn`: the row left out, why, and where in the log it was. */
  readonly onEventSkipped?: (error: UnrepresentableValueError, table: string, lsn: Lsn) => void;
}

/** Debezium's event.processing.failure.handling.mode. */
export type ProcessingFailureHandling = 'fail' | 'warn' | 'skip';

const MAX_SAFE = 9007199254740991n;
const asLong = (n: bigint): number | bigint => (n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n);
const nowMicros = (): bigint => process.hrtime.bigint() / 1000n - HR_OFFSET;
const HR_OFFSET = process.hrtime.bigint() / 1000n - BigInt(Date.now()) * 1000n;

/**
 * Turns decoded changes and snapshot rows into Debezium events, with the table's converters
 * decided beforehand (TableSchema). Per row: one pass over the columns, one converter call each.
 */
export class ChangeEventBuilder {
  private readonly tombstones: boolean;
  private readonly version: string;
  private readonly now: () => bigint;
  private readonly skipped: ReadonlySet<string>;
  private readonly onNulled: (column: string, text: string) => void;
  private readonly failureHandling: ProcessingFailureHandling;
  private readonly onSkipped: (error: UnrepresentableValueError, table: string, lsn: Lsn) => void;

  constructor(options: ChangeEventBuilderOptions = {}) {
    this.failureHandling = options.processingFailureHandling ?? 'fail';
    this.onSkipped = options.onEventSkipped ?? (() => undefined);
    this.tombstones = options.tombstonesOnDelete ?? true;
    this.version = options.connectorVersion ?? 'sluice';
    this.now = options.nowMicros ?? nowMicros;
    this.skipped = new Set(options.skippedOperations ?? ['t']);
    this.onNulled = options.onValueNulled ?? (() => undefined);
  }

  /** Whether changes of `operation` become events (`events.skippedOperations` leaves some out). */
  publishes(operation: 'c' | 'u' | 'd' | 't'): boolean {
    return !this.skipped.has(operation);
  }

  /** A snapshot row (op 'r'): `row` holds each Relation column's text output, by index. */
  read(schema: TableSchema, row: readonly TupleValue[], position: SourcePosition): ChangeEvent[] {
    return this.guarded(schema, position, () => [
      this.event(schema, 'r', null, this.row(schema, row, null), position, this.key(schema, row)),
    ]);
  }

  insert(schema: TableSchema, newValues: readonly TupleValue[], position: SourcePosition): ChangeEvent[] {
    if (this.skipped.has('c')) return [];
    return this.guarded(schema, position, () => [
      this.event(schema, 'c', null, this.row(schema, newValues, null), position, this.key(schema, newValues)),
    ]);
  }

  /** Builds a row's events; a value that cannot be written fails, or leaves the row out (warn, skip). */
  private guarded(schema: TableSchema, position: SourcePosition, build: () => ChangeEvent[]): ChangeEvent[] {
    if (this.failureHandling === 'fail') return build();
    try {
      return build();
    } catch (error) {
      if (!(error instanceof UnrepresentableValueError)) throw error;
      if (this.failureHandling === 'warn')
        this.onSkipped(error, `${schema.relation.schema}.${schema.relation.table}`, position.lsn);
      return [];
    }
  }

  /**
   * An update; when it changes the key, Debezium's three events instead: a delete of the old key,
   * its tombstone, and a create under the new key. `oldValues` is what Postgres sent (key columns
   * under REPLICA IDENTITY DEFAULT/INDEX when the key changed, the whole row under FULL, else null).
   */
  update(
    schema: TableSchema,
    oldValues: readonly TupleValue[] | null,
    newValues: readonly TupleValue[],
    position: SourcePosition,
  ): ChangeEvent[] {
    return this.guarded(schema, position, () => this.updateEvents(schema, oldValues, newValues, position));
  }

  private updateEvents(
    schema: TableSchema,
    oldValues: readonly TupleValue[] | null,
    newValues: readonly TupleValue[],
    position: SourcePosition,
  ): ChangeEvent[] {
    if (oldValues !== null && this.keyChanged(schema, oldValues, newValues)) {
      const newKey = this.key(schema, newValues);
      const oldKey = this.key(schema, oldValues);
      // As Debezium: the delete and its tombstone name the new key, the create the old one.
      const events: ChangeEvent[] = [];
      if (!this.skipped.has('d')) {
        const before = this.beforeImage(schema, oldValues);
        const toNew = { [NEW_KEY_HEADER]: keyText(schema, newKey!) };
        events.push({ ...this.event(schema, 'd', before, null, position, oldKey), headers: toNew });
        if (this.tombstones)
          events.push({ topic: schema.topic, key: oldKey, value: null, schema, headers: toNew });
      }
      if (!this.skipped.has('c')) {
        events.push({
          ...this.event(schema, 'c', null, this.row(schema, newValues, oldValues), position, newKey),
          headers: { [OLD_KEY_HEADER]: keyText(schema, oldKey!) },
        });
      }
      return events;
    }
    if (this.skipped.has('u')) return [];
    const after = this.row(schema, newValues, oldValues);
    const newKey = this.key(schema, newValues);
    const before = oldValues === null ? null : this.beforeImage(schema, oldValues);
    return [this.event(schema, 'u', before, after, position, newKey)];
  }

  delete(schema: TableSchema, oldValues: readonly TupleValue[], position: SourcePosition): ChangeEvent[] {
    if (this.skipped.has('d')) return [];
    return this.guarded(schema, position, () => {
      const key = this.key(schema, oldValues);
      const events = [this.event(schema, 'd', this.beforeImage(schema, oldValues), null, position, key)];
      if (this.tombstones) events.push({ topic: schema.topic, key, value: null, schema });
      return events;
    });
  }

  /** A TRUNCATE of the table (op 't'): no key, no before or after, as Debezium. */
  truncate(schema: TableSchema, position: SourcePosition): ChangeEvent[] {
    if (this.skipped.has('t')) return [];
    return [this.event(schema, 't', null, null, position, null)];
  }

  private event(
    schema: TableSchema,
    op: EnvelopeValue['op'],
    before: Record<string, unknown> | null,
    after: Record<string, unknown> | null,
    position: SourcePosition,
    key: Record<string, unknown> | null,
  ): ChangeEvent {
    const now = this.now();
    const commit = position.commitTimeMicros;
    const source: SourceInfo = {
      version: this.version,
      connector: 'postgresql',
      name: schema.options.topicPrefix,
      ts_ms: Number(commit / 1000n),
      snapshot: position.snapshot ?? 'false',
      db: schema.options.database,
      sequence: JSON.stringify([
        position.lastCommitLsn ? position.lastCommitLsn.toBigInt().toString() : null,
        position.lsn.toBigInt().toString(),
      ]),
      ts_us: asLong(commit),
      ts_ns: asLong(commit * 1000n),
      schema: schema.relation.schema,
      table: schema.relation.table,
      txId: position.txId ?? null,
      lsn: asLong(position.lsn.toBigInt()),
      xmin: null,
      origin: position.origin?.name ?? null,
      origin_lsn: position.origin ? asLong(position.origin.lsn.toBigInt()) : null,
    };
    const value: EnvelopeValue = {
      before,
      after,
      source,
      transaction: position.transaction ?? null,
      op,
      ts_ms: Number(now / 1000n),
      ts_us: asLong(now),
      ts_ns: asLong(now * 1000n),
    };
    return { topic: schema.topic, key, value, schema };
  }

  private key(schema: TableSchema, values: readonly TupleValue[]): Record<string, unknown> | null {
    if (schema.keyless) return null;
    const key: Record<string, unknown> = {};
    for (const slot of schema.keyColumns)
      key[slot.field] = this.convert(schema, slot, values[slot.index], null);
    return key;
  }

  /** A Value record; unchanged TOASTed values come from `old` (REPLICA IDENTITY FULL) or the placeholder. */
  private row(
    schema: TableSchema,
    values: readonly TupleValue[],
    old: readonly TupleValue[] | null,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const columns = schema.columns;
    for (let i = 0; i < columns.length; i++) {
      const slot = columns[i];
      out[slot.field] = this.convert(schema, slot, values[slot.index], old);
    }
    return out;
  }

  /**
   * `before` from an old tuple. Under REPLICA IDENTITY DEFAULT/INDEX only key columns arrive; as
   * Debezium, a NOT NULL column among the others gets its DEFAULT or its type's zero
   * (`ColumnSlot.fallback`), a nullable one null. Only for a type without a known zero is `before`
   * null (its field cannot hold null); the key still names the row.
   */
  private beforeImage(schema: TableSchema, old: readonly TupleValue[]): Record<string, unknown> | null {
    const out: Record<string, unknown> = {};
    for (const slot of schema.columns) {
      const value = old[slot.index];
      if ((value === null || value === undefined) && !slot.optional) {
        if (slot.fallback === undefined) return null;
        out[slot.field] = slot.fallback;
        continue;
      }
      if (value === UNCHANGED_TOAST) {
        const placeholder = slot.converter.toastPlaceholder;
        if (placeholder === undefined) return null;
        out[slot.field] = placeholder;
      } else out[slot.field] = this.convert(schema, slot, value, null);
    }
    return out;
  }

  private convert(
    schema: TableSchema,
    slot: ColumnSlot,
    value: TupleValue | undefined,
    old: readonly TupleValue[] | null,
  ): unknown {
    return convertValue(this.onNulled, schema, slot, value, old);
  }

  private keyChanged(schema: TableSchema, old: readonly TupleValue[], now: readonly TupleValue[]): boolean {
    for (const slot of schema.keyColumns) {
      const a = old[slot.index];
      const b = now[slot.index];
      if (a === null || a === UNCHANGED_TOAST) continue; // not sent: unchanged
      if (typeof a === 'string' ? a !== b : !(Buffer.isBuffer(b) && a.equals(b))) return true;
    }
    return false;
  }
}

function convertValue(
  nulled: (column: string, text: string) => void,
  schema: TableSchema,
  slot: ColumnSlot,
  value: TupleValue | undefined,
  old: readonly TupleValue[] | null,
): unknown {
  if (typeof value === 'string') {
    let converted: unknown;
    try {
      converted = slot.converter.convert(value);
    } catch (error) {
      throw locate(schema, slot, error);
    }
    if (converted === null) {
      if (!slot.optional) {
        throw new UnrepresentableValueError(
          `Value ${value} of NOT NULL column ${where(schema, slot)} has no form in its schema (for numeric NaN or Infinity, set types.decimalHandlingMode to string or double)`,
          slot.converter.name,
        );
      }
      nulled(where(schema, slot), value);
    }
    return converted;
  }
  if (value === null || value === undefined) {
    if (!slot.optional) {
      throw new UnrepresentableValueError(
        `NULL in NOT NULL column ${where(schema, slot)}`,
        slot.converter.name,
      );
    }
    return null;
  }
  if (value === UNCHANGED_TOAST) {
    const previous = old?.[slot.index];
    if (typeof previous === 'string') return convertValue(nulled, schema, slot, previous, null);
    const placeholder = slot.converter.toastPlaceholder;
    if (placeholder === undefined) {
      throw new UnrepresentableValueError(
        `Unchanged TOASTed value in column ${where(schema, slot)} has no placeholder of its type; use REPLICA IDENTITY FULL`,
        slot.converter.name,
      );
    }
    return placeholder;
  }
  throw new UnrepresentableValueError(
    `Binary tuple value in column ${where(schema, slot)}: Sluice reads pgoutput's text format (binary off)`,
    slot.converter.name,
  );
}

const keyText = (schema: TableSchema, key: Record<string, unknown>): string =>
  connectStructText(
    schema.keyColumns.map((slot) => ({ field: slot.field, schema: slot.converter.schema })),
    key,
  );

const where = (schema: TableSchema, slot: ColumnSlot): string =>
  `${schema.relation.schema}.${schema.relation.table}.${slot.converter.name}`;

function locate(schema: TableSchema, slot: ColumnSlot, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new UnrepresentableValueError(`Column ${where(schema, slot)}: ${message}`, slot.converter.name, {
    cause: error,
  });
}
