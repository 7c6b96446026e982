import { z } from 'zod';

/*
 * Field types for settings that may come from `${ENV_VAR}` interpolation. Interpolation runs on the
 * parsed YAML tree, so `enabled: ${KAFKA_TLS}` arrives as the string "true" and a timeout as
 * "30000": accept those spellings instead of making every deployment juggle quotes. Preprocessing
 * (rather than a union) keeps zod's message plain, e.g. "expected boolean, received string".
 */

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  yes: true,
  '1': true,
  false: false,
  no: false,
  '0': false,
};

/** A boolean, or true/false/yes/no/1/0 as an environment variable spells it. */
export function flag() {
  return z.preprocess(
    (v) => (typeof v === 'string' ? (BOOLEAN_WORDS[v.trim().toLowerCase()] ?? v) : v),
    z.boolean(),
  );
}

const fromDecimalString = (v: unknown): unknown =>
  typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;

/** An integer of at least `min` (default 0), or its decimal spelling from an environment variable. */
export function wholeNumber(min = 0) {
  return z.preprocess(fromDecimalString, z.number().int().min(min));
}

/**
 * `wholeNumber` with a default when the setting is left out. The default sits inside the
 * preprocessing, where the generated docs table can read it (outside, JSON Schema loses it).
 */
export function wholeNumberOr(min: number, fallback: number) {
  return z.preprocess(fromDecimalString, z.number().int().min(min).default(fallback));
}

/** A non-negative number (fractions allowed), or its decimal spelling. */
export function decimal() {
  return z.preprocess(fromDecimalString, z.number().nonnegative());
}
