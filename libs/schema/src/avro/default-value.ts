import type { AvroType } from './avro-type';

/**
 * Checks a field's JSON `default` against the field's type, following the specification's table
 * of JSON encodings: bytes and fixed are strings of code points 0-255, a union's default belongs
 * to its FIRST branch (avsc, which decodes Sluice's records, enforces the same), a record default
 * is an object giving every field that has no default of its own.
 *
 * Returns a description of the first problem, or undefined when the default is valid.
 */
export function defaultValueProblem(type: AvroType, value: unknown): string | undefined {
  switch (type.kind) {
    case 'primitive':
      return primitiveProblem(type.name, value);
    case 'enum':
      return typeof value === 'string' && type.symbols.includes(value)
        ? undefined
        : `${show(value)} is not a symbol of enum ${type.fullName}`;
    case 'fixed':
      return isByteString(value) && value.length === type.size
        ? undefined
        : `${show(value)} is not a string of ${type.size} bytes for fixed ${type.fullName}`;
    case 'array': {
      if (!Array.isArray(value)) return `${show(value)} is not an array`;
      for (const [i, item] of value.entries()) {
        const problem = defaultValueProblem(type.items, item);
        if (problem) return `item ${i}: ${problem}`;
      }
      return undefined;
    }
    case 'map': {
      if (!isPlainObject(value)) return `${show(value)} is not a JSON object for a map`;
      for (const [key, item] of Object.entries(value)) {
        const problem = defaultValueProblem(type.values, item);
        if (problem) return `key "${key}": ${problem}`;
      }
      return undefined;
    }
    case 'union': {
      const first = type.branches[0];
      if (!first) return 'a union without branches has no valid default';
      const problem = defaultValueProblem(first, value);
      return problem ? `a union's default must match its first branch: ${problem}` : undefined;
    }
    case 'record': {
      if (!isPlainObject(value)) return `${show(value)} is not a JSON object for record ${type.fullName}`;
      for (const field of type.fields) {
        if (!(field.name in value)) {
          if (field.default === undefined) return `field "${field.name}" of ${type.fullName} is missing`;
          continue;
        }
        const problem = defaultValueProblem(field.type, value[field.name]);
        if (problem) return `field "${field.name}": ${problem}`;
      }
      return undefined;
    }
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

function primitiveProblem(name: string, value: unknown): string | undefined {
  const valid = (() => {
    switch (name) {
      case 'null':
        return value === null;
      case 'boolean':
        return typeof value === 'boolean';
      case 'int':
        return Number.isInteger(value) && (value as number) >= INT_MIN && (value as number) <= INT_MAX;
      case 'long':
        return Number.isInteger(value);
      case 'float':
      case 'double':
        return typeof value === 'number';
      case 'string':
        return typeof value === 'string';
      case 'bytes':
        return isByteString(value);
      default:
        return false;
    }
  })();
  return valid ? undefined : `${show(value)} is not a valid "${name}"`;
}

function isByteString(value: unknown): value is string {
  return typeof value === 'string' && [...value].every((ch) => ch.codePointAt(0)! <= 0xff);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
