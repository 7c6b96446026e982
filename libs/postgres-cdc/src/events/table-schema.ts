import { ConfigError } from '@sluice/errors';
import { type AvroCodec, compileAvroCodec } from '@sluice/schema';
import type { Relation } from '../pgoutput/pgoutput-message';
import type { TableColumnFacts } from '../types/table-columns';
import type { TypeCatalog } from '../types/type-catalog';
import {
  type AvroField,
  type AvroJson,
  connectField,
  connectRecord,
  dedupeNamedTypes,
} from '../values/avro-json';
import {
  type ColumnConverter,
  type ColumnConverterOptions,
  type ColumnMask,
  createColumnConverter,
} from '../values/column-converter';
import {
  type ColumnMetadataOrigin,
  SOURCE_TYPE_PARAMETER,
  sourceTypeParameters,
  withConnectParameters,
} from '../values/source-type-parameters';
import { avroDefaultJson, columnDefault, defaultTypeName } from '../values/column-default';
import { zeroValue } from '../values/zero-value';
import { avroFullName, avroName } from './avro-name';
import { POSTGRES_SOURCE_SCHEMA, TRANSACTION_BLOCK_SCHEMA } from './source-schema';
import { TableWithoutKeyError } from './table-without-key-error';

export interface TableSchemaOptions {
  /** Debezium's topic.prefix: topics are `<prefix>.<schema>.<table>`; also `source.name`. */
  readonly topicPrefix: string;
  /** The database name written to `source.db`. */
  readonly database: string;
  /** Columns left out of events (column.exclude.list), by column name. */
  readonly excludedColumns?: ReadonlySet<string>;
  /** Masked character columns (column.mask.*), by column name. */
  readonly maskedColumns?: ReadonlyMap<string, ColumnMask>;
  /** Key columns instead of the primary key (message.key.columns), in key order. */
  readonly keyColumns?: readonly string[];
  readonly unavailableValuePlaceholder?: string;
  readonly moneyFractionDigits?: number;
  /** Type handling (decimal/hstore/interval/binary/time modes, include.unknown.datatypes), the same for every column. */
  readonly types?: Pick<
    ColumnConverterOptions,
    | 'decimalMode'
    | 'hstoreMode'
    | 'intervalMode'
    | 'includeUnknownDatatypes'
    | 'binaryMode'
    | 'timePrecisionMode'
  >;
  /** Columns whose schema carries their source type (column.propagate.source.type), by name. */
  readonly propagateSourceType?: ReadonlySet<string>;
  /**
   * Whether a column of this type carries its source type too (datatype.propagate.source.type),
   * by the type name __debezium.source.column.type writes (`NUMERIC`, `SERIAL`).
   */
  readonly propagateSourceDataType?: (typeName: string) => boolean;
  /**
   * Where Debezium would have read the column metadata the propagated parameters describe: a
   * snapshot's from JDBC (pgjdbc: `SERIAL`, unconstrained numeric length 0 and no scale, a type
   * outside the search path as `"SCHEMA"."NAME"`), a streamed change's from pgoutput's Relation
   * message (`INT4`, numeric 131089/0, `NAME`). Default streaming.
   */
  readonly columnMetadata?: ColumnMetadataOrigin;
}

/** One column of the table as events carry it: where its value sits in a tuple, how to convert. */
export interface ColumnSlot {
  /** Position in pgoutput tuples (the Relation column index). */
  readonly index: number;
  /** Avro field name (adjusted). */
  readonly field: string;
  readonly optional: boolean;
  readonly converter: ColumnConverter;
  /** The column's literal DEFAULT in AvroData's JSON form (Debezium's schema default), if any. */
  readonly defaultJson?: unknown;
  /**
   * A NOT NULL column's value when a tuple lacks it (the non-key columns of a REPLICA IDENTITY
   * DEFAULT old tuple): its DEFAULT, else its type's zero — Debezium's convertValue fallback.
   * Undefined when Sluice knows no such value for the type.
   */
  readonly fallback?: unknown;
}

/**
 * Everything Sluice decides once per table version (Debezium's TableSchema): topic, key and
 * envelope schemas as Avro JSON and text, their compiled codecs, and the per-column converters in
 * tuple order. Build a new one when a Relation message describes the table again.
 */
export class TableSchema {
  readonly topic: string;
  readonly keySchema: AvroJson;
  readonly valueSchema: AvroJson;
  /** The schemas as JSON text: stable for a given table version, the registry's subject input. */
  readonly keySchemaText: string;
  readonly valueSchemaText: string;
  readonly keyCodec: AvroCodec;
  readonly valueCodec: AvroCodec;

  private constructor(
    readonly relation: Relation,
    readonly options: TableSchemaOptions,
    readonly columns: readonly ColumnSlot[],
    readonly keyColumns: readonly ColumnSlot[],
    /** Columns of a type with no mapping (include.unknown.datatypes=false): left out. */
    readonly skippedColumns: readonly string[],
  ) {
    this.topic = `${options.topicPrefix}.${relation.schema}.${relation.table}`;
    const base = avroFullName(this.topic);
    const field = (slot: ColumnSlot): AvroField =>
      connectField(slot.field, slot.converter.schema, slot.optional, slot.defaultJson);
    this.keySchema = dedupeNamedTypes(connectRecord(`${base}.Key`, keyColumns.map(field)));
    const valueRecord = connectRecord(`${base}.Value`, columns.map(field));
    this.valueSchema = dedupeNamedTypes(
      connectRecord(
        `${base}.Envelope`,
        [
          connectField('before', valueRecord, true),
          connectField('after', valueRecord, true),
          { name: 'source', type: POSTGRES_SOURCE_SCHEMA },
          // Debezium 3.x's Envelope order (its SchemaBuilder: source, transaction, then op and the
          // times), so the Avro text matches what AvroConverter registers for Debezium.
          connectField('transaction', TRANSACTION_BLOCK_SCHEMA, true),
          { name: 'op', type: 'string' },
          connectField('ts_ms', 'long', true),
          connectField('ts_us', 'long', true),
          connectField('ts_ns', 'long', true),
        ],
        { version: 2 },
      ),
    );
    this.keySchemaText = JSON.stringify(this.keySchema);
    this.valueSchemaText = JSON.stringify(this.valueSchema);
    this.keyCodec = compileAvroCodec(this.keySchema);
    this.valueCodec = compileAvroCodec(this.valueSchema);
  }

  /**
   * Builds the schema of `relation`. `facts` (nullability, primary key) come from the catalog
   * (`loadTableColumnFacts`): pgoutput's Relation carries neither. Throws `TableWithoutKeyError`
   * when nothing can key the events, `ConfigError` for a configured column that does not exist.
   */
  static build(
    relation: Relation,
    catalog: TypeCatalog,
    facts: TableColumnFacts,
    options: TableSchemaOptions,
  ): TableSchema {
    const name = `${relation.schema}.${relation.table}`;
    const byName = new Map(relation.columns.map((c) => [c.name, c]));
    for (const configured of options.maskedColumns?.keys() ?? []) {
      if (!byName.has(configured)) throw new ConfigError(`Table ${name} has no column ${configured}`);
    }
    for (const configured of options.keyColumns ?? []) {
      if (!byName.has(configured)) {
        throw new ConfigError(
          `Table ${name} has no column ${configured}, which tables.keyColumns names as a key column`,
          undefined,
          'tables.keyColumns',
        );
      }
    }
    const keyNames =
      options.keyColumns && options.keyColumns.length > 0
        ? options.keyColumns
        : facts.primaryKey.length > 0
          ? facts.primaryKey
          : relation.replicaIdentity === 'index'
            ? relation.columns.filter((c) => c.isKey).map((c) => c.name)
            : [];
    // As Debezium, a table without a key under REPLICA IDENTITY FULL has null keys (its old tuples
    // still carry the whole row); under DEFAULT or NOTHING its changes could not name the row.
    if (keyNames.length === 0 && relation.replicaIdentity !== 'full') throw new TableWithoutKeyError(name);

    const slots = new Map<string, ColumnSlot>();
    const skipped: string[] = [];
    const keyConverters = new Map<string, ColumnConverter>();
    for (const column of relation.columns) {
      let converter = createColumnConverter(catalog, column, {
        ...options.types,
        moneyFractionDigits: options.moneyFractionDigits,
        unavailableValuePlaceholder: options.unavailableValuePlaceholder,
        mask: options.maskedColumns?.get(column.name),
      });
      if (converter === undefined) {
        skipped.push(column.name);
        continue;
      }
      if (options.propagateSourceType || options.propagateSourceDataType) {
        const parameters = sourceTypeParameters(
          catalog,
          { ...column, defaultExpression: facts.defaults?.get(column.name) },
          options.columnMetadata ?? 'streaming',
        );
        if (
          options.propagateSourceType?.has(column.name) ||
          options.propagateSourceDataType?.(parameters[SOURCE_TYPE_PARAMETER]!)
        ) {
          // Debezium's column mappers shape the value schema only: the key keeps the plain one.
          keyConverters.set(column.name, converter);
          converter = { ...converter, schema: withConnectParameters(converter.schema, parameters) };
        }
      }
      // A masked column's schema does not carry its unmasked default.
      const typeName = options.maskedColumns?.has(column.name)
        ? undefined
        : defaultTypeName(catalog, column.typeOid);
      const columnDefaultValue =
        typeName === undefined
          ? undefined
          : columnDefault(typeName, facts.defaults?.get(column.name), converter);
      const optional = !facts.notNull.has(column.name) || converter.alwaysOptional === true;
      const fallback = optional
        ? undefined
        : columnDefaultValue
          ? columnDefaultValue.value
          : zeroValue(converter, defaultTypeName(catalog, column.typeOid));
      slots.set(column.name, {
        index: column.index,
        field: avroName(column.name),
        optional,
        converter,
        ...(columnDefaultValue ? { defaultJson: avroDefaultJson(columnDefaultValue.value) } : {}),
        ...(fallback !== undefined ? { fallback } : {}),
      });
    }
    const keySlots = keyNames.map((key) => {
      const slot = slots.get(key);
      if (slot === undefined)
        throw new ConfigError(`Key column ${key} of table ${name} has a type Sluice cannot map`);
      const plain = keyConverters.get(key);
      return plain === undefined ? slot : { ...slot, converter: plain };
    });
    const excluded = options.excludedColumns ?? new Set<string>();
    const columns = [...slots.values()].filter(
      (slot) => !excluded.has(slot.converter.name) || keyNames.includes(slot.converter.name),
    );
    return new TableSchema(relation, options, columns, keySlots, skipped);
  }

  /** No key columns (a keyless table under REPLICA IDENTITY FULL): events have a null key. */
  get keyless(): boolean {
    return this.keyColumns.length === 0;
  }

  /** Whether `other` writes different Avro (key or value): a schema change to register. */
  avroDiffersFrom(other: TableSchema | undefined): boolean {
    return (
      other === undefined ||
      other.keySchemaText !== this.keySchemaText ||
      other.valueSchemaText !== this.valueSchemaText
    );
  }
}
