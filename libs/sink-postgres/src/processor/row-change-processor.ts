import { type DecodedRecord, type RecordDecoder, whenLoaded } from '@sluice/schema';
import { type ProcessContext, type RecordProcessor, type StreamRecord } from '@sluice/stream';
import { describe } from '../mapping/postgres-text';
import {
  type ColumnPlan,
  type RowChange,
  type SourcePosition,
  type TableOptions,
  type TargetTable,
} from '../plan/row-change';
import { type RowPlan, type SchemaPlans, type ValuePlan } from '../plan/schema-plans';
import { ident } from '../sql/identifiers';
import { UnmappableValueError, UnsupportedRecordError } from '../sink-errors';
import { type TableShaper } from '../target/table-shaper';

/** Where a topic's changes go. */
export interface TableRoute {
  readonly schema: string;
  readonly name: string;
  readonly options: TableOptions;
}

export interface RowChangeProcessorParts {
  readonly decoder: RecordDecoder;
  readonly plans: SchemaPlans;
  readonly shaper: TableShaper;
  readonly route: (topic: string) => TableRoute;
}

interface Envelope {
  readonly op: string;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly source?: { readonly lsn?: number | bigint | null; readonly ts_ms?: number | bigint | null } | null;
}

/** A decoded key or value with its schema's plan. */
interface Decoded<P> {
  readonly plan: P;
  readonly value: Record<string, unknown>;
}

const CLASS = 'PostgresSink';
const toBig = (v: number | bigint | null | undefined): bigint | null =>
  v === null || v === undefined ? null : BigInt(v);

/**
 * The sink's work for one record: decode key and value (KEY_/VALUE_CONVERTER stages), recognise a
 * Debezium envelope or an unwrapped row, make the target table fit the schema (TASK_PUT, DDL once per
 * schema version), and convert the values to Postgres text (TASK_PUT). The RowChange goes to the
 * partition's delivery, which writes the batch in one transaction. Undecodable records, unknown
 * schema ids, values the column cannot take and incompatible schemas throw record errors: the runtime
 * dead-letters them with the stage and reason.
 */
export class RowChangeProcessor implements RecordProcessor<RowChange> {
  readonly name = CLASS;
  /** Target table versions per route (routes are made once per topic), by key and value schema id. */
  private readonly tables = new Map<TableRoute, Map<number, TargetTable>>();

  constructor(private readonly parts: RowChangeProcessorParts) {}

  async process(record: StreamRecord, ctx: ProcessContext): Promise<readonly RowChange[]> {
    const { plans } = this.parts;
    const route = this.parts.route(record.topic);
    const key =
      record.key === null
        ? undefined
        : await this.decode(record.key, 'KEY_CONVERTER', (id) => plans.keyPlan(id), ctx);
    if (record.value === null) {
      if (!key) throw new UnsupportedRecordError('a record without key and value means nothing');
      return this.tombstone(record, route, key.plan, key.value);
    }
    const value = await this.decode(record.value, 'VALUE_CONVERTER', (id) => plans.valuePlan(id), ctx);
    return ctx.stage('TASK_PUT', CLASS, () => this.rowChanges(record, route, key, value));
  }

  /**
   * One stage per converter: decoding and the (cached) schema lookup fail as one step. Once the
   * schema id is known both answer at once: a value, not a promise.
   */
  private decode<P>(
    bytes: Buffer,
    stage: 'KEY_CONVERTER' | 'VALUE_CONVERTER',
    planOf: (schemaId: number) => P | Promise<P>,
    ctx: ProcessContext,
  ): Decoded<P> | Promise<Decoded<P>> {
    return ctx.stage(stage, 'RecordDecoder', () =>
      whenLoaded(
        this.parts.decoder.decode<Record<string, unknown>>(bytes),
        ({ schemaId, value }: DecodedRecord<Record<string, unknown>>) =>
          whenLoaded(planOf(schemaId), (plan) => ({ plan, value })),
      ),
    );
  }

  /** The record's row change, once its table fits the schema (at once when it already did). */
  private rowChanges(
    record: StreamRecord,
    route: TableRoute,
    key: Decoded<RowPlan> | undefined,
    value: Decoded<ValuePlan>,
  ): RowChange[] | Promise<RowChange[]> {
    const valuePlan = value.plan;
    if (valuePlan.envelope) {
      const envelope = value.value as unknown as Envelope;
      if (envelope.op === 't') return this.truncate(record, route, valuePlan, envelope);
      if (!key) throw new UnsupportedRecordError(`a ${envelope.op} event without a key`);
      const table = this.table(route, key.plan, valuePlan);
      return this.whenShaped(table, valuePlan.schemaId, () => [
        this.fromEnvelope(record, table, key.plan, key.value, envelope),
      ]);
    }
    if (!key) throw new UnsupportedRecordError('an unwrapped row without a key');
    const table = this.table(route, key.plan, valuePlan);
    return this.whenShaped(table, valuePlan.schemaId, () => [
      this.fromUnwrapped(record, table, key.plan, key.value, value.value, valuePlan),
    ]);
  }

  private whenShaped<T>(table: TargetTable, schemaId: number, then: () => T): T | Promise<T> {
    const shaping = this.parts.shaper.ensure(table, schemaId);
    return shaping ? shaping.then(then) : then();
  }

  /** A truncate has no key; a table never written has nothing to truncate. */
  private async truncate(
    record: StreamRecord,
    route: TableRoute,
    valuePlan: ValuePlan,
    envelope: Envelope,
  ): Promise<RowChange[]> {
    const table = this.table(route, undefined, valuePlan);
    if (!(await this.parts.shaper.exists(table.qualified))) return [];
    return [this.change(record, table, 'truncate', 't', [], null, this.position(envelope, record))];
  }

  private async tombstone(
    record: StreamRecord,
    route: TableRoute,
    keyPlan: RowPlan,
    key: Record<string, unknown>,
  ): Promise<RowChange[]> {
    const table = this.table(route, keyPlan, undefined);
    // Nothing to delete in a table that was never written.
    if (!(await this.parts.shaper.exists(table.qualified))) return [];
    const position = { lsn: null, tsMs: BigInt(record.timestamp) };
    return [this.change(record, table, 'delete', 'tombstone', keyTexts(table, keyPlan, key), null, position)];
  }

  private fromEnvelope(
    record: StreamRecord,
    table: TargetTable,
    keyPlan: RowPlan,
    key: Record<string, unknown>,
    envelope: Envelope,
  ): RowChange {
    const position = this.position(envelope, record);
    const keys = keyTexts(table, keyPlan, key);
    const history = table.options.history;
    const before = envelope.before ? convertRow(table, table.columns, envelope.before) : null;
    const beforeJson = history && before ? rowJson(table.columns, before) : null;
    const beforeValues = before ? { beforeValues: before } : {};
    if (envelope.op === 'd')
      return {
        ...this.change(record, table, 'delete', 'd', keys, null, position),
        ...beforeValues,
        before: beforeJson,
      };
    if (!envelope.after) throw new UnsupportedRecordError(`op ${envelope.op} without after`);
    const values = convertRow(table, table.columns, envelope.after);
    const change = this.change(record, table, 'upsert', envelope.op, keys, values, position);
    const changed =
      table.options.merge && envelope.op === 'u' && before
        ? changedColumns(table, before, values)
        : undefined;
    return {
      ...change,
      ...beforeValues,
      ...(changed ? { changed } : {}),
      before: beforeJson,
      after: history ? rowJson(table.columns, values) : null,
    };
  }

  /** An unwrapped row: an upsert, or a delete when `__deleted` says so; position from its metadata. */
  private fromUnwrapped(
    record: StreamRecord,
    table: TargetTable,
    keyPlan: RowPlan,
    key: Record<string, unknown>,
    row: Record<string, unknown>,
    plan: ValuePlan,
  ): RowChange {
    const { metadata } = plan;
    const position: SourcePosition = {
      lsn: metadata.lsn ? toBig(row[metadata.lsn] as number | bigint | null) : null,
      tsMs:
        (metadata.tsMs ? toBig(row[metadata.tsMs] as number | bigint | null) : null) ??
        BigInt(record.timestamp),
    };
    const deleted = metadata.deleted !== undefined && String(row[metadata.deleted]) === 'true';
    const op = metadata.op && typeof row[metadata.op] === 'string' ? (row[metadata.op] as string) : undefined;
    const keys = keyTexts(table, keyPlan, key);
    const values = convertRow(table, table.columns, row);
    const json = table.options.history ? rowJson(table.columns, values) : null;
    if (deleted)
      return { ...this.change(record, table, 'delete', op ?? 'd', keys, null, position), before: json };
    return { ...this.change(record, table, 'upsert', op ?? 'upsert', keys, values, position), after: json };
  }

  private position(envelope: Envelope, record: StreamRecord): SourcePosition {
    const source = envelope.source;
    return {
      lsn: toBig(source?.lsn),
      tsMs: toBig(source?.ts_ms) ?? BigInt(record.timestamp),
    };
  }

  private change(
    record: StreamRecord,
    table: TargetTable,
    kind: RowChange['kind'],
    op: string,
    key: readonly string[],
    values: ReadonlyArray<string | null> | null,
    position: SourcePosition,
  ): RowChange {
    return {
      kind,
      op,
      table,
      key,
      keyId: JSON.stringify(key),
      values,
      position,
      before: null,
      after: null,
      record,
    };
  }

  /** The target table for a route and schema versions, built once per combination. */
  private table(
    route: TableRoute,
    keyPlan: RowPlan | undefined,
    valuePlan: ValuePlan | undefined,
  ): TargetTable {
    let byVersion = this.tables.get(route);
    if (!byVersion) this.tables.set(route, (byVersion = new Map()));
    // Schema ids are below 2^31: one number names the (key, value) version pair.
    const id = (keyPlan?.schemaId ?? -1) * 2 ** 32 + (valuePlan?.schemaId ?? -1);
    let table = byVersion.get(id);
    if (!table) {
      const qualified = `${ident(route.schema)}.${ident(route.name)}`;
      const columns = valuePlan?.columns ?? keyPlan?.columns ?? [];
      const keyColumns = (keyPlan?.columns ?? []).map((k) => {
        const column = columns.find((c) => c.name === k.name);
        if (!column)
          throw new UnsupportedRecordError(
            `key column ${k.name} of ${route.schema}.${route.name} is not in the value schema ${valuePlan?.schemaId}`,
          );
        return column;
      });
      table = {
        schema: route.schema,
        name: route.name,
        qualified,
        keyColumns,
        columns,
        signature: valuePlan ? valuePlan.signature : `key:${keyPlan?.signature ?? ''}`,
        options: route.options,
      };
      byVersion.set(id, table);
    }
    return table;
  }
}

function convert(table: TargetTable, column: ColumnPlan, value: unknown): string | null {
  try {
    return column.type.toText(value);
  } catch (error) {
    throw new UnmappableValueError(
      `${table.schema}.${table.name}`,
      column.name,
      `${(error as Error).message} (${describe(value)}) for ${column.type.pgType}`,
      { cause: error },
    );
  }
}

function convertRow(
  table: TargetTable,
  columns: readonly ColumnPlan[],
  row: Record<string, unknown>,
): Array<string | null> {
  return columns.map((column) => convert(table, column, row[column.name]));
}

function keyTexts(table: TargetTable, keyPlan: RowPlan, key: Record<string, unknown>): string[] {
  return table.keyColumns.map((column, i) => {
    const text = convert(table, column, key[keyPlan.columns[i].name]);
    if (text === null)
      throw new UnmappableValueError(`${table.schema}.${table.name}`, column.name, 'null key');
    return text;
  });
}

function changedColumns(
  table: TargetTable,
  before: ReadonlyArray<string | null>,
  after: ReadonlyArray<string | null>,
): boolean[] {
  const keys = new Set(table.keyColumns.map((c) => c.name));
  return table.columns.map((c, i) => !keys.has(c.name) && before[i] !== after[i]);
}

function rowJson(columns: readonly ColumnPlan[], values: ReadonlyArray<string | null>): string {
  const row: Record<string, string | null> = {};
  columns.forEach((c, i) => (row[c.name] = values[i]));
  return JSON.stringify(row);
}
