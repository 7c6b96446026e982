// Debezium's column.propagate.source.type (PropagateSourceMetadataToSchemaParameter): a column's
// Postgres type as schema parameters. The length and scale are what Debezium's pgoutput decoder
// computes (ColumnMetaData): pgjdbc's TypeInfoCache precision and scale for the column's type
// modifier, the display size when a type without a modifier has no precision.
import { PgOid } from '../types/pg-oid';
import type { TypeCatalog } from '../types/type-catalog';
import type { AvroJson } from './avro-json';

export const SOURCE_TYPE_PARAMETER = '__debezium.source.column.type';
export const SOURCE_LENGTH_PARAMETER = '__debezium.source.column.length';
export const SOURCE_SCALE_PARAMETER = '__debezium.source.column.scale';
export const SOURCE_NAME_PARAMETER = '__debezium.source.column.name';

/** pgjdbc's unknown length (Integer.MAX_VALUE): text, bytea, unbounded varchar, other types. */
const UNKNOWN_LENGTH = 2_147_483_647;

/** Array types report their element's precision and scale (TypeInfoCache.convertArrayToBaseOid). */
function baseOid(catalog: TypeCatalog, oid: number): number {
  const type = catalog.get(oid);
  return type !== undefined && type.elementOid !== 0 ? type.elementOid : oid;
}

function displaySize(oid: number, typmod: number): number {
  switch (oid) {
    case PgOid.INT2:
      return 6;
    case PgOid.INT4:
      return 11;
    case PgOid.OID:
      return 10;
    case PgOid.INT8:
      return 20;
    case PgOid.FLOAT4:
      return 15;
    case PgOid.FLOAT8:
      return 25;
    case PgOid.CHAR:
    case PgOid.BOOL:
      return 1;
    case PgOid.DATE:
      return 13;
    case PgOid.TIME:
    case PgOid.TIMETZ:
    case PgOid.TIMESTAMP:
    case PgOid.TIMESTAMPTZ: {
      const second = typmod === -1 ? 7 : typmod === 0 ? 0 : typmod === 1 ? 3 : typmod + 1;
      if (oid === PgOid.TIME) return 8 + second;
      if (oid === PgOid.TIMETZ) return 14 + second;
      if (oid === PgOid.TIMESTAMP) return 22 + second;
      return 28 + second;
    }
    case PgOid.INTERVAL:
      return 49;
    case PgOid.VARCHAR:
    case PgOid.BPCHAR:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod - 4;
    case PgOid.NUMERIC: {
      if (typmod === -1) return 131089;
      const precision = ((typmod - 4) >> 16) & 0xffff;
      const scale = (typmod - 4) & 0xffff;
      return 1 + precision + (scale !== 0 ? 1 : 0);
    }
    case PgOid.BIT:
      return typmod;
    case PgOid.VARBIT:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod;
    default:
      return UNKNOWN_LENGTH;
  }
}

/** TypeInfoCache.getPrecision. */
function precision(oid: number, typmod: number): number {
  switch (oid) {
    case PgOid.INT2:
      return 5;
    case PgOid.OID:
    case PgOid.INT4:
      return 10;
    case PgOid.INT8:
      return 19;
    case PgOid.FLOAT4:
      return 8;
    case PgOid.FLOAT8:
      return 17;
    case PgOid.NUMERIC:
      return typmod === -1 ? 0 : ((typmod - 4) >> 16) & 0xffff;
    case PgOid.CHAR:
    case PgOid.BOOL:
      return 1;
    case PgOid.BPCHAR:
    case PgOid.VARCHAR:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod - 4;
    case PgOid.DATE:
    case PgOid.TIME:
    case PgOid.TIMETZ:
    case PgOid.INTERVAL:
    case PgOid.TIMESTAMP:
    case PgOid.TIMESTAMPTZ:
      return displaySize(oid, typmod);
    case PgOid.BIT:
      return typmod;
    case PgOid.VARBIT:
      return typmod === -1 ? UNKNOWN_LENGTH : typmod;
    default:
      return UNKNOWN_LENGTH;
  }
}

/** TypeInfoCache.getScale. */
function scale(oid: number, typmod: number): number {
  switch (oid) {
    case PgOid.FLOAT4:
      return 8;
    case PgOid.FLOAT8:
      return 17;
    case PgOid.NUMERIC:
      return typmod === -1 ? 0 : (typmod - 4) & 0xffff;
    case PgOid.TIME:
    case PgOid.TIMETZ:
    case PgOid.TIMESTAMP:
    case PgOid.TIMESTAMPTZ:
      return typmod === -1 ? 6 : typmod;
    case PgOid.INTERVAL:
      return typmod === -1 ? 6 : typmod & 0xffff;
    default:
      return 0;
  }
}

/**
 * Where Debezium takes a column's metadata from: its snapshot reads JDBC's (pgjdbc's
 * DatabaseMetaData), its streaming pgoutput's Relation message with its own type registry. The
 * two disagree on a few types, so Debezium's schema changes when streaming starts.
 */
export type ColumnMetadataOrigin = 'snapshot' | 'streaming';

/** pgjdbc reports an integer column defaulting to a sequence as serial (what Debezium's snapshot reads). */
const SERIALS: ReadonlyMap<number, string> = new Map([
  [PgOid.INT2, 'SMALLSERIAL'],
  [PgOid.INT4, 'SERIAL'],
  [PgOid.INT8, 'BIGSERIAL'],
]);

export interface SourceColumn {
  readonly name: string;
  readonly typeOid: number;
  readonly typeModifier: number;
  /** The column's DEFAULT expression, if any (a nextval(...) one makes an integer a serial). */
  readonly defaultExpression?: string;
}

/**
 * The schema parameters Debezium's column.propagate.source.type adds to a column's field schema:
 * type name (upper case), length, scale and the column's own name, in that order.
 */
export function sourceTypeParameters(
  catalog: TypeCatalog,
  column: SourceColumn,
  origin: ColumnMetadataOrigin = 'streaming',
): Record<string, string> {
  const { typeOid, typeModifier } = column;
  const snapshot = origin === 'snapshot';
  const serial =
    snapshot && column.defaultExpression?.startsWith('nextval(') ? SERIALS.get(typeOid) : undefined;
  const type = catalog.get(typeOid);
  // pgjdbc names a type outside the search path (assumed "$user", public) schema-qualified and
  // quoted; Debezium's type registry by its name alone. Debezium upper-cases either.
  const visible = type === undefined || type.schema === 'pg_catalog' || type.schema === 'public';
  const name =
    type === undefined
      ? String(typeOid)
      : snapshot && !visible
        ? `"${type.schema}"."${type.name}"`
        : type.name;
  const typeName = serial ?? name.toUpperCase();
  // A domain reports its base type's length and scale (with the domain's type modifier).
  let resolved = typeOid;
  let typmod = typeModifier;
  for (let depth = 0, t = type; t?.kind === 'domain' && depth < 8; depth++, t = catalog.get(resolved)) {
    if (typmod === -1) typmod = t.baseTypeModifier;
    resolved = t.baseOid;
  }
  const oid = baseOid(catalog, resolved);
  // JDBC's metadata gives an unconstrained numeric length 0 and no scale (Debezium's snapshot),
  // where pgoutput's Relation, through pgjdbc's TypeInfoCache, gives its display size and 0. Not
  // for numeric[]: JDBC reports its display size too.
  if (snapshot && typeOid === PgOid.NUMERIC && typeModifier === -1)
    return {
      [SOURCE_TYPE_PARAMETER]: typeName,
      [SOURCE_LENGTH_PARAMETER]: '0',
      [SOURCE_NAME_PARAMETER]: column.name,
    };
  let length: number;
  let scaleValue: number;
  if (typmod !== -1) {
    length = precision(oid, typmod);
    scaleValue = scale(oid, typmod);
  } else {
    const p = precision(oid, -1);
    length = p === 0 ? displaySize(oid, -1) : p;
    scaleValue = scale(oid, -1);
  }
  return {
    [SOURCE_TYPE_PARAMETER]: typeName,
    [SOURCE_LENGTH_PARAMETER]: String(length),
    [SOURCE_SCALE_PARAMETER]: String(scaleValue),
    [SOURCE_NAME_PARAMETER]: column.name,
  };
}

/** Properties AvroData writes after connect.parameters. */
const AFTER_PARAMETERS = new Set(['connect.default', 'connect.name', 'connect.type', 'logicalType']);

/**
 * `schema` with `parameters` added to its `connect.parameters` (after the ones it has, as
 * Connect's SchemaBuilder.parameter appends), placed where AvroData writes them.
 */
export function withConnectParameters(schema: AvroJson, parameters: Record<string, string>): AvroJson {
  if (Array.isArray(schema)) return schema;
  if (typeof schema === 'string') return { type: schema, 'connect.parameters': parameters };
  const existing = (schema as Record<string, unknown>)['connect.parameters'] as
    Record<string, string> | undefined;
  const merged = { ...(existing ?? {}), ...parameters };
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'connect.parameters') continue;
    if (!placed && AFTER_PARAMETERS.has(key)) {
      out['connect.parameters'] = merged;
      placed = true;
    }
    out[key] = value;
  }
  if (!placed) out['connect.parameters'] = merged;
  return out;
}
