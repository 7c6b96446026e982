import type { AvroProps, AvroType, NamedType, RecordField } from './avro-type';
import { parseAvroSchema } from './parse-avro-schema';

/**
 * The string that decides whether two registrations are "the same schema" (and so share a global
 * id). Two texts get the same canonical string exactly when they differ only in things Avro's JSON
 * does not give meaning to.
 *
 * What Confluent does: `AvroSchema.canonicalString()` is Java Avro's `Schema.toString()` of the
 * parsed schema. That re-serialisation drops whitespace, writes `{"type":"string"}` as `"string"`,
 * writes each named type in full once and by name afterwards, writes `namespace` only where it
 * differs from the enclosing one, drops `"order":"ascending"` (the default), and keeps field order,
 * docs, defaults, aliases and every other property (`logicalType`, `connect.name`, ...). It does
 * NOT use Avro's "Parsing Canonical Form", which strips docs, defaults and properties and would
 * merge schemas whose defaults or logical types differ.
 *
 * Sluice does the same from its own parsed model, with one deliberate difference: Java keeps custom
 * properties in the order they were written, so `{"a":1,"b":2}` and `{"b":2,"a":1}` give different
 * strings there; here every JSON object (properties, `connect.parameters`, record and map defaults)
 * is written with sorted keys, so attribute order never makes a new schema. Avro attributes come in
 * a fixed order: type, name, namespace, doc, then fields / symbols, default / size / items / values,
 * then aliases, then the remaining properties sorted by key. `{"name":"a.b.C"}` and
 * `{"name":"C","namespace":"a.b"}` normalise to the same thing, as in Java.
 */
export function canonicalAvroSchema(text: string): string {
  return canonicalForm(parseAvroSchema(text).type);
}

/** Canonical form of an already parsed type. */
export function canonicalForm(type: AvroType): string {
  return new CanonicalWriter().write(type, '');
}

class CanonicalWriter {
  private readonly defined = new Set<string>();

  write(type: AvroType, namespace: string): string {
    switch (type.kind) {
      case 'primitive':
        return Object.keys(type.props).length === 0
          ? JSON.stringify(type.name)
          : object([['type', JSON.stringify(type.name)]], type.props);
      case 'array':
        return object(
          [
            ['type', '"array"'],
            ['items', this.write(type.items, namespace)],
          ],
          type.props,
        );
      case 'map':
        return object(
          [
            ['type', '"map"'],
            ['values', this.write(type.values, namespace)],
          ],
          type.props,
        );
      case 'union':
        return `[${type.branches.map((branch) => this.write(branch, namespace)).join(',')}]`;
      default:
        return this.named(type, namespace);
    }
  }

  private named(type: NamedType, namespace: string): string {
    if (this.defined.has(type.fullName)) {
      return JSON.stringify(type.namespace === namespace ? type.name : type.fullName);
    }
    this.defined.add(type.fullName);
    const entries: [string, string][] = [
      ['type', JSON.stringify(type.kind === 'record' && type.isError ? 'error' : type.kind)],
      ['name', JSON.stringify(type.name)],
    ];
    if (type.namespace !== namespace) entries.push(['namespace', JSON.stringify(type.namespace)]);
    if (type.doc !== undefined) entries.push(['doc', JSON.stringify(type.doc)]);
    switch (type.kind) {
      case 'record':
        entries.push(['fields', `[${type.fields.map((f) => this.field(f, type.namespace)).join(',')}]`]);
        break;
      case 'enum':
        entries.push(['symbols', canonicalJson(type.symbols)]);
        if (type.default !== undefined) entries.push(['default', JSON.stringify(type.default)]);
        break;
      case 'fixed':
        entries.push(['size', String(type.size)]);
        break;
    }
    if (type.aliases.length > 0) entries.push(['aliases', canonicalJson(type.aliases)]);
    return object(entries, type.props);
  }

  private field(field: RecordField, namespace: string): string {
    const entries: [string, string][] = [
      ['name', JSON.stringify(field.name)],
      ['type', this.write(field.type, namespace)],
    ];
    if (field.doc !== undefined) entries.push(['doc', JSON.stringify(field.doc)]);
    if (field.default !== undefined) entries.push(['default', canonicalJson(field.default.value)]);
    if (field.order !== 'ascending') entries.push(['order', JSON.stringify(field.order)]);
    if (field.aliases.length > 0) entries.push(['aliases', canonicalJson(field.aliases)]);
    return object(entries, field.props);
  }
}

/** `{...entries, ...props sorted by key}`; entries are already-serialised JSON values. */
function object(entries: readonly [string, string][], props: AvroProps): string {
  const all = [
    ...entries,
    ...Object.keys(props)
      .sort()
      .map((key): [string, string] => [key, canonicalJson(props[key])]),
  ];
  return `{${all.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

/** JSON with object keys sorted at every depth; array order is meaning and is kept. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
