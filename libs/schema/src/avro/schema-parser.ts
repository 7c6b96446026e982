import {
  PRIMITIVE_TYPE_NAMES,
  type AvroProps,
  type AvroType,
  type FieldOrder,
  type NamedType,
  type PrimitiveTypeName,
  type RecordField,
  type RecordType,
} from './avro-type';
import { defaultValueProblem } from './default-value';
import { InvalidSchemaError } from './invalid-schema-error';
import { recogniseLogicalType } from './logical-type-rules';

/**
 * Turns schema JSON into Sluice's type graph, validating as it goes so that every error names the
 * place it found: the JSON pointer Avro's tools use (`/fields/1/type`) and the field path a person
 * reads (`Order.customer`). Named types are registered before their bodies are read, which is what
 * makes recursive records (`{"name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`) work.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = {
  record: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'fields']),
  field: new Set(['name', 'type', 'doc', 'default', 'order', 'aliases']),
  enum: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'symbols', 'default']),
  fixed: new Set(['type', 'name', 'namespace', 'doc', 'aliases', 'size']),
  array: new Set(['type', 'items']),
  map: new Set(['type', 'values']),
  primitive: new Set(['type']),
} as const;

interface Context {
  /** Enclosing namespace, '' for the null namespace. */
  readonly namespace: string;
  readonly pointer: readonly (string | number)[];
  readonly fieldPath: string;
}

type Json = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class SchemaParser {
  private readonly named = new Map<string, NamedType>();

  /** Every named type defined by the schemas parsed so far, by full name. */
  get namedTypes(): ReadonlyMap<string, NamedType> {
    return this.named;
  }

  parse(json: unknown): AvroType {
    return this.type(json, { namespace: '', pointer: [], fieldPath: '' });
  }

  private type(json: unknown, ctx: Context): AvroType {
    if (typeof json === 'string') return this.reference(json, ctx);
    if (Array.isArray(json)) return this.union(json, ctx);
    if (!isObject(json))
      fail(ctx, `expected a type name, a schema object or a union array, got ${show(json)}`);
    const type = json.type;
    if (typeof type !== 'string') {
      fail(ctx, `a schema object needs a string "type" attribute, got ${show(type)}`);
    }
    switch (type) {
      case 'record':
      case 'error':
        return this.record(json, ctx);
      case 'enum':
        return this.enumType(json, ctx);
      case 'fixed':
        return this.fixed(json, ctx);
      case 'array':
        return { kind: 'array', items: this.type(json.items, at(ctx, 'items')), props: props(json, 'array') };
      case 'map':
        return { kind: 'map', values: this.type(json.values, at(ctx, 'values')), props: props(json, 'map') };
      default:
        if (isPrimitive(type)) {
          return { kind: 'primitive', name: type, props: props(json, 'primitive'), ...logical(json, type) };
        }
        // `{"type": "com.acme.Money"}` refers to a named type, as Java Avro accepts.
        return this.reference(type, ctx);
    }
  }

  private reference(name: string, ctx: Context): AvroType {
    if (isPrimitive(name)) return { kind: 'primitive', name, props: {} };
    // A dotted name is already full; otherwise try the enclosing namespace, then the null namespace.
    const candidates = name.includes('.') || !ctx.namespace ? [name] : [`${ctx.namespace}.${name}`, name];
    for (const candidate of candidates) {
      const found = this.named.get(candidate);
      if (found) return found;
    }
    fail(ctx, `unknown type "${name}" (named types must be defined before they are used)`);
  }

  private union(json: unknown[], ctx: Context): AvroType {
    if (json.length === 0) fail(ctx, 'a union needs at least one branch');
    const seen = new Map<string, number>();
    const branches = json.map((branchJson, i) => {
      const branchCtx = at(ctx, i);
      const branch = this.type(branchJson, branchCtx);
      if (branch.kind === 'union') fail(branchCtx, 'a union may not directly contain another union');
      const key =
        'fullName' in branch ? branch.fullName : branch.kind === 'primitive' ? branch.name : branch.kind;
      const previous = seen.get(key);
      if (previous !== undefined) {
        fail(branchCtx, `the union already has a "${key}" branch at index ${previous}`);
      }
      seen.set(key, i);
      return branch;
    });
    return { kind: 'union', branches };
  }

  private record(json: Json, ctx: Context): RecordType {
    const names = this.names(json, ctx);
    const record: Mutable<RecordType> = {
      kind: 'record',
      ...names,
      isError: json.type === 'error',
      fields: [],
      props: props(json, 'record'),
      ...docOf(json, ctx),
    };
    this.define(record, ctx);
    if (!Array.isArray(json.fields))
      fail(at(ctx, 'fields'), `"fields" must be an array, got ${show(json.fields)}`);
    const inner: Context = { ...ctx, namespace: names.namespace, fieldPath: ctx.fieldPath || names.name };
    const fieldNames = new Map<string, number>();
    const fields: RecordField[] = [];
    for (const [position, fieldJson] of json.fields.entries()) {
      const fieldCtx = at(inner, 'fields', position);
      if (!isObject(fieldJson)) fail(fieldCtx, `a field must be an object, got ${show(fieldJson)}`);
      const name = fieldJson.name;
      if (typeof name !== 'string' || !NAME.test(name)) {
        fail(fieldCtx, `invalid field name ${show(name)}: names match [A-Za-z_][A-Za-z0-9_]*`);
      }
      const namedCtx = { ...fieldCtx, fieldPath: `${inner.fieldPath}.${name}` };
      const first = fieldNames.get(name);
      if (first !== undefined) fail(namedCtx, `duplicate field name "${name}" (also field ${first})`);
      fieldNames.set(name, position);
      fields.push(this.field(fieldJson, name, position, namedCtx));
    }
    record.fields = fields;
    return record;
  }

  private field(json: Json, name: string, position: number, ctx: Context): RecordField {
    if (!('type' in json)) fail(ctx, `field "${name}" has no "type"`);
    const type = this.type(json.type, at(ctx, 'type'));
    const order = json.order ?? 'ascending';
    if (order !== 'ascending' && order !== 'descending' && order !== 'ignore') {
      fail(ctx, `field order must be "ascending", "descending" or "ignore", got ${show(order)}`);
    }
    const field: Mutable<RecordField> = {
      name,
      type,
      position,
      aliases: stringList(json.aliases, 'aliases', ctx, NAME),
      order: order as FieldOrder,
      props: props(json, 'field'),
      ...docOf(json, ctx),
    };
    if ('default' in json) {
      const problem = defaultValueProblem(type, json.default);
      if (problem) fail(ctx, `invalid default for field "${name}": ${problem}`);
      field.default = { value: json.default };
    }
    return field;
  }

  private enumType(json: Json, ctx: Context): NamedType {
    const names = this.names(json, ctx);
    const symbols = stringList(json.symbols, 'symbols', ctx, NAME, true);
    const duplicate = symbols.find((s, i) => symbols.indexOf(s) !== i);
    if (duplicate !== undefined) fail(at(ctx, 'symbols'), `duplicate enum symbol "${duplicate}"`);
    if (json.default !== undefined && (typeof json.default !== 'string' || !symbols.includes(json.default))) {
      fail(at(ctx, 'default'), `the enum default ${show(json.default)} is not one of its symbols`);
    }
    const type: NamedType = {
      kind: 'enum',
      ...names,
      symbols,
      props: props(json, 'enum'),
      ...(json.default !== undefined ? { default: json.default as string } : {}),
      ...docOf(json, ctx),
    };
    this.define(type, ctx);
    return type;
  }

  private fixed(json: Json, ctx: Context): NamedType {
    const names = this.names(json, ctx);
    const size = json.size;
    if (!Number.isInteger(size) || (size as number) < 0) {
      fail(at(ctx, 'size'), `a fixed type needs a non-negative integer "size", got ${show(size)}`);
    }
    const type: NamedType = {
      kind: 'fixed',
      ...names,
      size: size as number,
      props: props(json, 'fixed'),
      ...logical(json, 'fixed', size as number),
      ...docOf(json, ctx),
    };
    this.define(type, ctx);
    return type;
  }

  /** Full name, name, namespace and aliases of a named type, per the specification's name rules. */
  private names(json: Json, ctx: Context) {
    const { name, namespace } = json;
    if (typeof name !== 'string' || name === '') fail(ctx, `a ${json.type} needs a "name"`);
    if (namespace !== undefined && (typeof namespace !== 'string' || !validNamespace(namespace))) {
      fail(ctx, `invalid namespace ${show(namespace)}`);
    }
    const dot = name.lastIndexOf('.');
    const space = dot >= 0 ? name.slice(0, dot) : ((namespace as string | undefined) ?? ctx.namespace);
    const simple = dot >= 0 ? name.slice(dot + 1) : name;
    if (!NAME.test(simple) || !validNamespace(space)) {
      fail(ctx, `invalid name "${name}": names match [A-Za-z_][A-Za-z0-9_]*, dot-separated`);
    }
    if (isPrimitive(simple) && !space)
      fail(ctx, `"${name}" is a primitive type and cannot name a ${json.type}`);
    const qualify = (n: string) => (n.includes('.') || !space ? n : `${space}.${n}`);
    const aliases = stringList(json.aliases, 'aliases', ctx).map(qualify);
    return { fullName: qualify(simple), name: simple, namespace: space, aliases };
  }

  private define(type: NamedType, ctx: Context): void {
    if (this.named.has(type.fullName)) fail(ctx, `the type "${type.fullName}" is defined twice`);
    this.named.set(type.fullName, type);
  }
}

function logical(json: Json, underlying: string, size?: number) {
  const logicalType = recogniseLogicalType(json, underlying, size);
  return logicalType ? { logicalType } : {};
}

function props(json: Json, kind: keyof typeof RESERVED): AvroProps {
  const reserved = RESERVED[kind];
  return Object.fromEntries(Object.entries(json).filter(([key]) => !reserved.has(key)));
}

function docOf(json: Json, ctx: Context): { doc?: string } {
  if (json.doc === undefined) return {};
  if (typeof json.doc !== 'string') fail(at(ctx, 'doc'), `"doc" must be a string, got ${show(json.doc)}`);
  return { doc: json.doc };
}

function stringList(
  value: unknown,
  attr: string,
  ctx: Context,
  pattern?: RegExp,
  required = false,
): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && (!pattern || pattern.test(v)))) {
    fail(at(ctx, attr), `"${attr}" must be an array of names, got ${show(value)}`);
  }
  return value as string[];
}

function validNamespace(namespace: string): boolean {
  return namespace === '' || namespace.split('.').every((part) => NAME.test(part));
}

function isPrimitive(name: string): name is PrimitiveTypeName {
  return (PRIMITIVE_TYPE_NAMES as readonly string[]).includes(name);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(ctx: Context, ...segments: (string | number)[]): Context {
  return { ...ctx, pointer: [...ctx.pointer, ...segments] };
}

function fail(ctx: Context, problem: string): never {
  const location = `/${ctx.pointer.join('/')}`;
  const where = ctx.fieldPath ? `${ctx.fieldPath} (${location})` : location;
  throw new InvalidSchemaError(`Invalid Avro schema at ${where}: ${problem}`, location, ctx.fieldPath);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
