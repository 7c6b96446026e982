/** Avro schema JSON as Sluice builds it (a type name, a schema object, or a union). */
export type AvroJson = string | { readonly [key: string]: unknown } | readonly AvroJson[];

/** Kafka Connect metadata, written as Confluent's AvroData writes it (`connect.*` properties). */
export interface ConnectMeta {
  readonly name?: string;
  readonly version?: number;
  readonly doc?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly default?: unknown;
  /** `connect.type` for Connect's int8/int16, which Avro has no type for. */
  readonly connectType?: string;
}

/**
 * A primitive Avro type carrying Connect metadata in AvroData's property order: type, then
 * connect.doc, connect.version, connect.parameters, connect.default, connect.name, connect.type.
 */
export function connectPrimitive(type: string, meta: ConnectMeta = {}): AvroJson {
  const out: Record<string, unknown> = { type };
  if (meta.doc !== undefined) out['connect.doc'] = meta.doc;
  if (meta.version !== undefined) out['connect.version'] = meta.version;
  if (meta.parameters !== undefined) out['connect.parameters'] = meta.parameters;
  if (meta.default !== undefined) out['connect.default'] = meta.default;
  if (meta.name !== undefined) out['connect.name'] = meta.name;
  if (meta.connectType !== undefined) out['connect.type'] = meta.connectType;
  return Object.keys(out).length === 1 ? type : out;
}

/** Properties AvroData writes after connect.default (connect.name, connect.type, logical types). */
const AFTER_DEFAULT = new Set(['connect.name', 'connect.type', 'logicalType']);

/**
 * `schema` with `connect.default` added where AvroData puts it (after connect.doc, version and
 * parameters, before connect.name, connect.type and logicalType). Not for unions or records.
 */
export function withConnectDefault(schema: AvroJson, jsonDefault: unknown): AvroJson {
  if (typeof schema === 'string') return { type: schema, 'connect.default': jsonDefault };
  if (Array.isArray(schema)) return schema;
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const [key, value] of Object.entries(schema)) {
    if (!placed && AFTER_DEFAULT.has(key)) {
      out['connect.default'] = jsonDefault;
      placed = true;
    }
    out[key] = value;
  }
  if (!placed) out['connect.default'] = jsonDefault;
  return out;
}

export interface AvroField {
  readonly name: string;
  readonly type: AvroJson;
  readonly default?: unknown;
}

/**
 * A Connect field as AvroData writes it: optional ones are `["null", T]` with default null. A field
 * whose Connect schema has a default (`jsonDefault`, already in AvroData's JSON form) carries it
 * as `connect.default` on T and as the field default, and an optional one becomes `[T, "null"]`
 * (AvroData's maybeMakeOptional: the default's branch first).
 */
export function connectField(
  name: string,
  type: AvroJson,
  optional: boolean,
  jsonDefault?: unknown,
): AvroField {
  if (jsonDefault === undefined || jsonDefault === null) {
    return optional ? { name, type: ['null', type], default: null } : { name, type };
  }
  const withDefault = withConnectDefault(type, jsonDefault);
  return { name, type: optional ? [withDefault, 'null'] : withDefault, default: jsonDefault };
}

/** A record named like a Connect struct: `a.b.C` → name `C`, namespace `a.b`, connect.name kept. */
export function connectRecord(
  fullName: string,
  fields: readonly AvroField[],
  meta: ConnectMeta = {},
): AvroJson {
  const dot = fullName.lastIndexOf('.');
  const out: Record<string, unknown> = { type: 'record', name: fullName.slice(dot + 1) };
  if (dot > 0) out.namespace = fullName.slice(0, dot);
  if (meta.doc !== undefined) out.doc = meta.doc;
  out.fields = fields;
  if (meta.doc !== undefined) out['connect.doc'] = meta.doc;
  if (meta.version !== undefined) out['connect.version'] = meta.version;
  out['connect.name'] = fullName;
  return out;
}

/**
 * Avro defines a named type once per document; later uses must be references by full name.
 * Connect repeats the struct (VariableScaleDecimal in two columns, `before` and `after`), so the
 * document is rewritten: the second and later definitions become their full name.
 */
export function dedupeNamedTypes(schema: AvroJson): AvroJson {
  const seen = new Set<string>();
  // Written as Java Avro writes a schema: a namespace equal to the enclosing one is left out, and a
  // reference in the enclosing namespace is the bare name.
  const walk = (node: AvroJson, enclosing: string): AvroJson => {
    if (typeof node === 'string') return node;
    if (Array.isArray(node)) return node.map((branch: AvroJson) => walk(branch, enclosing));
    const obj = node as Record<string, unknown>;
    if (obj.type === 'record') {
      const ns = typeof obj.namespace === 'string' ? obj.namespace : enclosing;
      const name = String(obj.name);
      const full = ns ? `${ns}.${name}` : name;
      if (seen.has(full)) return ns === enclosing ? name : full;
      seen.add(full);
      const fields = (obj.fields as AvroField[]).map((f) => ({ ...f, type: walk(f.type, ns) }));
      const out: Record<string, unknown> = { ...obj, fields };
      if (ns === enclosing) delete out.namespace;
      return out;
    }
    if (obj.type === 'array') return { ...obj, items: walk(obj.items as AvroJson, enclosing) };
    return node;
  };
  return walk(schema, '');
}
