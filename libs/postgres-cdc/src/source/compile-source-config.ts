import type { PostgresTlsOptions } from '@sluice/config';
import type { SourceConfig } from '../config/source-config';
import type { TableSchemaOptions } from '../events/table-schema';
import type { Relation } from '../pgoutput/pgoutput-message';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import { tablePattern, type TableName } from '../replication/table-name';
import { IncrementalSnapshotState } from '../snapshot/incremental-snapshot-state';
import { SignalTable } from '../snapshot/signal-table';
import type { ColumnMask } from '../values/column-converter';

/** The signal table and the incremental snapshot's bookkeeping, when `signals.table` is set. */
export interface SourceSignals {
  readonly table: SignalTable;
  readonly state: IncrementalSnapshotState;
}

/** The source's configuration in the forms its parts use, decided once when the source is built. */
export interface CompiledSourceConfig {
  readonly connection: PostgresConnectionOptions;
  readonly signals: SourceSignals | undefined;
  /** A table's schema options: its excluded and masked columns, the prefix, the placeholder. */
  readonly schemaOptions: (relation: Relation) => TableSchemaOptions;
  /** The configured key columns of a table (tables.keyColumns' first matching rule), if any. */
  readonly keyColumnsOf: (table: TableName) => readonly string[] | undefined;
}

/**
 * Compiles the configuration (pure, no I/O): the column patterns become predicates here, once,
 * so that a Relation message (a new table, an ALTER) only runs them over its own columns. `ssl` is
 * `postgres.ssl` with its files already read (`postgresTlsOptions`).
 */
export function compileSourceConfig(
  config: SourceConfig,
  ssl: PostgresTlsOptions | false = false,
): CompiledSourceConfig {
  const pg = config.postgres;
  return {
    connection: {
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: pg.database,
      connectTimeoutMs: pg.connectTimeoutMs,
      ssl,
    },
    signals: compileSignals(config),
    schemaOptions: compileSchemaOptions(config),
    keyColumnsOf: compileKeyColumns(config),
  };
}

function compileKeyColumns(config: SourceConfig): (table: TableName) => readonly string[] | undefined {
  const rules = config.tables.keyColumns.map((rule) => ({
    matches: tablePattern(rule.table),
    columns: rule.columns,
  }));
  return (table) => rules.find((rule) => rule.matches(table))?.columns;
}

function compileSignals(config: SourceConfig): SourceSignals | undefined {
  const signalTable = config.signals.table;
  if (signalTable === undefined) return undefined;
  const [schema, table] = signalTable.split('.');
  const name = { schema, table };
  return { table: new SignalTable(name), state: new IncrementalSnapshotState(name, config.topicPrefix) };
}

function compileSchemaOptions(config: SourceConfig): (relation: Relation) => TableSchemaOptions {
  const excluded = config.columns.exclude.map(columnPattern);
  const propagated = config.columns.propagateSourceType.map(columnPattern);
  // Debezium matches datatype.propagate.source.type against `schema.table.type`, ignoring case.
  const propagatedTypes = config.columns.propagateSourceDataTypes.map((pattern) =>
    columnPattern(pattern.toLowerCase()),
  );
  const keyColumnsOf = compileKeyColumns(config);
  const { types } = config;
  const masks = config.columns.mask.map((rule) => ({
    matches: rule.columns.map(columnPattern),
    mask:
      rule.with === 'hash'
        ? ({ kind: 'hash', algorithm: 'SHA-256', key: rule.salt ?? '' } as const)
        : ({ kind: 'chars', length: rule.length } as const),
  }));
  return (relation) => {
    const columnNames = relation.columns.map((c) => c.name);
    const table = { schema: relation.schema, table: relation.table };
    // A column several rules match takes the last one's mask.
    const maskedColumns = new Map<string, ColumnMask>();
    for (const rule of masks) {
      for (const column of columnNames)
        if (rule.matches.some((m) => m(table, column))) maskedColumns.set(column, rule.mask);
    }
    return {
      topicPrefix: config.topicPrefix,
      database: config.postgres.database,
      excludedColumns: new Set(columnNames.filter((column) => excluded.some((m) => m(table, column)))),
      maskedColumns,
      unavailableValuePlaceholder: config.events.unavailableValuePlaceholder,
      moneyFractionDigits: types.moneyFractionDigits,
      types: {
        decimalMode: types.decimalHandlingMode,
        hstoreMode: types.hstoreHandlingMode,
        intervalMode: types.intervalHandlingMode,
        includeUnknownDatatypes: types.includeUnknownDatatypes,
        binaryMode: types.binaryHandlingMode,
        timePrecisionMode: types.timePrecisionMode,
      },
      ...(propagated.length > 0 && {
        propagateSourceType: new Set(
          columnNames.filter((column) => propagated.some((m) => m(table, column))),
        ),
      }),
      ...(propagatedTypes.length > 0 && {
        propagateSourceDataType: (typeName: string) => {
          const lower = { schema: table.schema.toLowerCase(), table: table.table.toLowerCase() };
          return propagatedTypes.some((m) => m(lower, typeName.toLowerCase()));
        },
      }),
      ...(keyColumnsOf(table) !== undefined && { keyColumns: keyColumnsOf(table) }),
    };
  };
}

/** A `schema.table.column` pattern (`*` wildcards) as a predicate. */
export function columnPattern(pattern: string): (table: TableName, column: string) => boolean {
  const cut = pattern.lastIndexOf('.');
  const tableMatches = tablePattern(pattern.slice(0, cut));
  const columnRegex = new RegExp(
    `^${pattern
      .slice(cut + 1)
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (table, column) => tableMatches(table) && columnRegex.test(column);
}
