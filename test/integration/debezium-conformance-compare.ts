// Compares one event as Debezium wrote it (Kafka Connect's JsonConverter: a Connect schema and a
// payload) with the same event as Sluice wrote it (Avro as Confluent's AvroConverter would render
// Debezium's Connect schema, and the value decoded from it). Both sides are brought to one shape:
// a Connect schema (type, optional, name, version, parameters, default, doc, fields/items/map) and
// plain values (integers as bigint, bytes as base64, maps as sorted [key, value] pairs), then
// walked together; every difference is reported under a key without row numbers
// (`schema:types.after.c_point`, `value:types.c.after.c_timetz`, `source:plain.d.lsn`) so the suite
// can hold an allow-list of known ones.
import { type ConnectSchema } from '@sluice/test-support';

/** An Avro schema as JSON (the registry's text parsed). */
type AvroJson = string | AvroJson[] | { [key: string]: unknown };

/** A schema in Connect's terms, from either side. */
export interface Shape {
  type: string;
  optional: boolean;
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
  default?: unknown;
  fields?: { name: string; shape: Shape }[];
  items?: Shape;
  keys?: Shape;
  values?: Shape;
}

export interface Difference {
  /** The difference's kind and place, without the row: what the allow-list matches. */
  key: string;
  /** Both sides' text, with the event it was seen in. */
  detail: string;
}

const AVRO_PRIMITIVE: Record<string, string> = {
  int: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

/** The topic prefix in record names (`<prefix>.<schema>.<table>.Value`) as one placeholder. */
function unprefixed(name: string | undefined, prefix: string): string | undefined {
  return name?.startsWith(`${prefix}.`) ? `<prefix>${name.slice(prefix.length)}` : name;
}

/**
 * Parameters compared whatever their order: Sluice's schema registry stores schemas with sorted
 * object keys (canonicalAvroSchema), so the order Sluice wrote them in is not what it serves.
 */
function sortedKeys(parameters: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A JsonConverter schema as a Shape. */
export function shapeOfConnect(schema: ConnectSchema, prefix: string): Shape {
  const shape: Shape = { type: schema.type, optional: schema.optional ?? false };
  if (schema.name !== undefined) shape.name = unprefixed(schema.name, prefix);
  if (schema.version !== undefined) shape.version = schema.version;
  if (schema.doc !== undefined) shape.doc = schema.doc;
  if (schema.parameters !== undefined) shape.parameters = sortedKeys(schema.parameters);
  if (schema.fields)
    shape.fields = schema.fields.map((f) => ({ name: f.field!, shape: shapeOfConnect(f, prefix) }));
  if (schema.items) shape.items = shapeOfConnect(schema.items, prefix);
  if (schema.keys) shape.keys = shapeOfConnect(schema.keys, prefix);
  if (schema.values) shape.values = shapeOfConnect(schema.values, prefix);
  if (schema.default !== undefined) shape.default = plainValue(schema.default, shape, 'connect');
  return shape;
}

/** An AvroConverter-style Avro schema as a Shape (AvroData.toConnectSchema in short). */
export function shapeOfAvro(schema: AvroJson, prefix: string, named = new Map<string, AvroJson>()): Shape {
  if (Array.isArray(schema)) {
    const branches = schema.filter((b) => b !== 'null');
    if (branches.length !== 1) throw new Error(`union ${JSON.stringify(schema)} is not an optional type`);
    return { ...shapeOfAvro(branches[0]!, prefix, named), optional: schema.length > 1 };
  }
  if (typeof schema === 'string') {
    if (AVRO_PRIMITIVE[schema]) return { type: AVRO_PRIMITIVE[schema], optional: false };
    const known = named.get(schema);
    if (known === undefined) throw new Error(`unknown Avro type ${schema}`);
    return shapeOfAvro(known, prefix, named);
  }
  const type = schema.type as AvroJson;
  if (typeof type !== 'string') return shapeOfAvro(type, prefix, named);
  let shape: Shape;
  if (type === 'record') {
    const fullName = String(
      schema.namespace ? `${schema.namespace as string}.${schema.name as string}` : schema.name,
    );
    named.set(fullName, schema);
    named.set(String(schema.name), schema);
    if (fullName === 'io.confluent.connect.avro.MapEntry') throw new Error('MapEntry outside an array');
    shape = {
      type: 'struct',
      optional: false,
      name: unprefixed((schema['connect.name'] as string | undefined) ?? fullName, prefix),
      fields: (schema.fields as { name: string; type: AvroJson }[]).map((f) => ({
        name: f.name,
        shape: shapeOfAvro(f.type, prefix, named),
      })),
    };
  } else if (type === 'array') {
    const items = schema.items as AvroJson;
    const entry = typeof items === 'object' && !Array.isArray(items) && items.name === 'MapEntry';
    if (entry) {
      // AvroData's map with non-string keys: an array of io.confluent.connect.avro.MapEntry {key, value}.
      const [keyField, valueField] = (items as { fields: { type: AvroJson }[] }).fields;
      shape = {
        type: 'map',
        optional: false,
        keys: shapeOfAvro(keyField!.type, prefix, named),
        values: shapeOfAvro(valueField!.type, prefix, named),
      };
    } else shape = { type: 'array', optional: false, items: shapeOfAvro(items, prefix, named) };
  } else if (type === 'map') {
    shape = {
      type: 'map',
      optional: false,
      keys: { type: 'string', optional: false },
      values: shapeOfAvro(schema.values as AvroJson, prefix, named),
    };
  } else if (type === 'enum') {
    shape = { type: 'string', optional: false };
  } else {
    shape = {
      type: (schema['connect.type'] as string | undefined) ?? AVRO_PRIMITIVE[type] ?? type,
      optional: false,
    };
    if (schema['connect.name'] !== undefined) shape.name = schema['connect.name'] as string;
  }
  if (schema['connect.version'] !== undefined) shape.version = Number(schema['connect.version']);
  if (schema['connect.doc'] !== undefined) shape.doc = schema['connect.doc'] as string;
  else if (schema.doc !== undefined) shape.doc = schema.doc as string;
  if (schema['connect.parameters'] !== undefined)
    shape.parameters = sortedKeys(schema['connect.parameters'] as Record<string, string>);
  if (schema['connect.default'] !== undefined)
    shape.default = plainValue(schema['connect.default'], shape, 'avro-default');
  return shape;
}

/**
 * A value of `shape` in one plain form, from JsonConverter's payload (`connect`), Sluice's decoded
 * Avro (`avro`) or an AvroData default (`avro-default`: bytes as ISO-8859-1 text).
 */
export function plainValue(value: unknown, shape: Shape, from: 'connect' | 'avro' | 'avro-default'): unknown {
  if (value === null || value === undefined) return null;
  switch (shape.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return typeof value === 'bigint' || typeof value === 'number' ? BigInt(value) : `?${String(value)}`;
    case 'float':
      return Math.fround(Number(value));
    case 'double':
      return Number(value);
    case 'bytes':
      if (from === 'connect') return String(value);
      if (from === 'avro-default') return Buffer.from(String(value), 'latin1').toString('base64');
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'struct': {
      const record = value as Record<string, unknown>;
      return Object.fromEntries(
        (shape.fields ?? []).map((f) => [f.name, plainValue(record[f.name], f.shape, from)]),
      );
    }
    case 'array':
      return (value as unknown[]).map((item) => plainValue(item, shape.items!, from));
    case 'map': {
      // JsonConverter: an object for string keys, [[key, value], …] otherwise; Avro: an object, or
      // MapEntry records.
      const entries: [unknown, unknown][] = Array.isArray(value)
        ? value.map((e) =>
            Array.isArray(e) ? [e[0], e[1]] : [(e as { key: unknown }).key, (e as { value: unknown }).value],
          )
        : Object.entries(value as Record<string, unknown>);
      return entries
        .map(([k, v]) => [plainValue(k, shape.keys!, from), plainValue(v, shape.values!, from)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    }
    default:
      return value;
  }
}

function text(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  return text(a) === text(b);
}

/** The differences between two schemas, each under `${where}.${field path}`. */
export function compareShapes(debezium: Shape, sluice: Shape, where: string, out: Difference[]): void {
  const describe = (s: Shape) =>
    text({
      type: s.type,
      optional: s.optional,
      name: s.name,
      version: s.version,
      parameters: s.parameters,
      default: s.default,
      doc: s.doc,
    });
  const own = (s: Shape) => ({
    ...s,
    fields: undefined,
    items: undefined,
    keys: undefined,
    values: undefined,
  });
  if (describe(own(debezium)) !== describe(own(sluice)))
    out.push({
      key: `schema:${where}`,
      detail: `debezium ${describe(debezium)}, sluice ${describe(sluice)}`,
    });
  if (debezium.fields || sluice.fields) {
    const theirs = new Map((sluice.fields ?? []).map((f) => [f.name, f.shape]));
    const ours = new Set((debezium.fields ?? []).map((f) => f.name));
    for (const field of debezium.fields ?? []) {
      const other = theirs.get(field.name);
      if (other === undefined)
        out.push({ key: `schema:${where}.${field.name}`, detail: 'written by Debezium, missing in Sluice' });
      else compareShapes(field.shape, other, `${where}.${field.name}`, out);
    }
    for (const field of sluice.fields ?? [])
      if (!ours.has(field.name))
        out.push({ key: `schema:${where}.${field.name}`, detail: 'written by Sluice, missing in Debezium' });
    const order = (s: Shape) =>
      (s.fields ?? []).map((f) => f.name).filter((n) => ours.has(n) && theirs.has(n));
    if (order(debezium).join() !== order(sluice).join())
      out.push({
        key: `schema:${where}(field order)`,
        detail: `${order(debezium).join()} / ${order(sluice).join()}`,
      });
  }
  for (const part of ['items', 'keys', 'values'] as const)
    if (debezium[part] && sluice[part]) compareShapes(debezium[part], sluice[part], `${where}[${part}]`, out);
}

/**
 * The differences between two values, walking Debezium's schema: a struct's fields one by one,
 * anything else whole. `sluiceShape` reads Sluice's side (its schema may differ).
 */
export function compareValues(
  debezium: unknown,
  debeziumShape: Shape,
  sluice: unknown,
  sluiceShape: Shape,
  where: string,
  detail: string,
  out: Difference[],
): void {
  if (
    debeziumShape.type === 'struct' &&
    sluiceShape.type === 'struct' &&
    debezium !== null &&
    sluice !== null
  ) {
    const theirs = new Map((sluiceShape.fields ?? []).map((f) => [f.name, f.shape]));
    for (const field of debeziumShape.fields ?? []) {
      const other = theirs.get(field.name);
      if (other === undefined) continue; // reported with the schema
      compareValues(
        (debezium as Record<string, unknown>)[field.name],
        field.shape,
        (sluice as Record<string, unknown>)[field.name],
        other,
        `${where}.${field.name}`,
        detail,
        out,
      );
    }
    return;
  }
  const a = plainValue(debezium, debeziumShape, 'connect');
  const b = plainValue(sluice, sluiceShape, 'avro');
  if (!sameValue(a, b))
    out.push({ key: `value:${where}`, detail: `${detail}: debezium ${text(a)}, sluice ${text(b)}` });
}
