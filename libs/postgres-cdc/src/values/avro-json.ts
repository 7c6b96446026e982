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
 * connect.doc, connect.version, connect.parameters, connect.default, connect.name.
 */
export function connectPrimitive(type: string, meta: ConnectMeta = {}): AvroJson {
  const out: Record<string, unknown> = { type };
  if (meta.connectType !== undefined) out['connect.type'] = meta.connectType;
  if (meta.doc !== undefined) out['connect.doc'] = meta.doc;
  if (meta.version !== undefined) out['connect.version'] = meta.version;
  if (meta.parameters !== undefined) out['connect.parameters'] = meta.parameters;
  if (meta.default !== undefined) out['connect.default'] = meta.default;
  if (meta.name !== undefined) out['connect.name'] = meta.name;
  return Object.keys(out).length === 1 ? type : out;
}

export interface AvroField {
  readonly name: string;
  readonly type: AvroJson;
  readonly default?: unknown;
}

/** A Connect field: optional ones are `["null", T]` with default null, as AvroData writes them. */
export function connectField(name: string, type: AvroJson, optional: boolean): AvroField {
  return optional ? { name, type: ['null', type], default: null } : { name, type };
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
