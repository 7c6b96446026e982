/**
 * Confluent's compatibility levels. BACKWARD: the new schema can read data written with the
 * previous one. FORWARD: the previous schema can read data written with the new one. FULL: both.
 * `_TRANSITIVE`: against every previous version instead of only the newest.
 */
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
