import type { AvroJson } from './avro-json';
import type { ColumnConverter } from './column-converter';

/**
 * The value Debezium gives a NOT NULL column that arrives without one — the columns other than the
 * key in the old tuple of a delete (or key change) under REPLICA IDENTITY DEFAULT/INDEX:
 * JdbcValueConverters.convertValue's `fallback` when the column has no default, per the type's
 * converter (JdbcValueConverters, PostgresValueConverter): 0 for numbers, dates, times, timestamps
 * and intervals (epoch), false, empty bytes, a zero decimal, `""` for strings, `{}` for hstore,
 * `1970-01-01T00:00:00Z` for timestamptz, `00:00:00Z` for timetz, `[]` for arrays and vectors, a
 * Point (0, 0). Undefined where Sluice does not know Debezium's (then `before` stays null).
 * `typeName` is the column type's `typname` when known (hstore and json share a schema).
 */
export function zeroValue(converter: ColumnConverter, typeName: string | undefined): unknown {
  const schema = converter.schema;
  const type = typeOf(schema);
  const name = isObject(schema) ? schema['connect.name'] : undefined;
  try {
    switch (type) {
      case 'boolean':
        return false;
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 0;
      case 'bytes':
        // BigDecimal.ZERO's unscaled bytes (any scale), else an empty byte array (bytea, Bits).
        return name === 'org.apache.kafka.connect.data.Decimal' ? Buffer.from([0]) : Buffer.alloc(0);
      case 'array':
        return [];
      case 'map': // hstore.handling.mode=map
        return {};
      case 'string':
        if (name === 'io.debezium.time.ZonedTimestamp') return '1970-01-01T00:00:00Z';
        if (name === 'io.debezium.time.ZonedTime') return '00:00:00Z';
        if (typeName === 'hstore') return '{}';
        // decimal.handling.mode=string: BigDecimal.ZERO's plain string (money at its scale)
        if (typeName === 'numeric') return '0';
        if (typeName === 'money') return converter.convert('0.00');
        // A masked column's converter masks the empty string as Debezium's mask does.
        return converter.convert('');
      case 'record':
        if (name === 'io.debezium.data.VariableScaleDecimal') return { scale: 0, value: Buffer.from([0]) };
        if (name === 'io.debezium.data.geometry.Point') return converter.convert('(0,0)');
        return undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

const isObject = (schema: AvroJson): schema is { readonly [key: string]: unknown } =>
  typeof schema === 'object' && !Array.isArray(schema);

function typeOf(schema: AvroJson): string | undefined {
  if (typeof schema === 'string') return schema;
  if (!isObject(schema)) return undefined;
  const type = schema['type'];
  return typeof type === 'string' ? type : undefined;
}
