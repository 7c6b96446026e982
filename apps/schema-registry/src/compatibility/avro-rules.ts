/**
 * TEMPORARY stand-in for `@sluice/schema` (parsing, canonical form, compatibility rules), which is
 * being written in libs/schema. It exports exactly the names that lib will export; once the lib
 * exists this file becomes `export { ... } from '@sluice/schema'` and then goes away.
 */
import { Type } from 'avsc';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export function isCompatibilityLevel(x: unknown): x is CompatibilityLevel {
  return typeof x === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(x);
}

export class InvalidSchemaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSchemaError';
  }
}

function toType(text: string): Type {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new InvalidSchemaError(`schema is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  try {
    return Type.forSchema(json as never);
  } catch (cause) {
    throw new InvalidSchemaError((cause as Error).message, { cause });
  }
}

export function parseAvroSchema(text: string): unknown {
  return toType(text);
}

export function canonicalAvroSchema(text: string): string {
  return JSON.stringify(toType(text).schema({ exportAttrs: true }));
}

function canRead(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function checkCompatibility(
  candidate: string,
  previous: readonly string[],
  level: CompatibilityLevel,
): { compatible: boolean; messages: string[] } {
  if (level === 'NONE' || previous.length === 0) return { compatible: true, messages: [] };
  const next = toType(candidate);
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const messages: string[] = [];
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const text of against) {
    const old = toType(text);
    const b = backward ? canRead(next, old) : undefined;
    if (b) messages.push(`new schema cannot read data written with an earlier schema: ${b}`);
    const f = forward ? canRead(old, next) : undefined;
    if (f) messages.push(`an earlier schema cannot read data written with the new schema: ${f}`);
  }
  return { compatible: messages.length === 0, messages };
}
