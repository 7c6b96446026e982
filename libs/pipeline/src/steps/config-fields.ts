import { z } from 'zod';
import { Expression } from '../expression/expression';

/** Expression text, checked against the grammar when the pipeline file is validated. */
export function expressionText(description: string) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      try {
        Expression.parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `invalid expression: ${(error as Error).message}` });
      }
    })
    .describe(description);
}

/**
 * `name` as V8's internalized copy, the string property keys are. Steps read and write record fields
 * by config names per record; optimized `out[name]` code expects that copy and is thrown away when
 * another string with the same text comes (a re-optimize loop, seen in the mask step).
 */
export function asPropertyKey(name: string): string {
  return Object.keys({ [name]: true })[0]!;
}

/** An Avro field name. */
export const fieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an Avro name: letters, digits and _, not starting with a digit')
  .overwrite(asPropertyKey);

export function fieldNames(description: string) {
  return z.array(fieldName).min(1).describe(description);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: milliseconds as a number, or text such as `500ms`, `30s`, `5m`, `1h`, `1d`. Gives milliseconds. */
export function duration(description: string) {
  return z
    .union([z.number().int().nonnegative(), z.string()])
    .transform((raw, ctx) => {
      if (typeof raw === 'number') return raw;
      const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(raw);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: 'a duration such as 500ms, 30s, 5m, 1h, 1d (or milliseconds)',
        });
        return z.NEVER;
      }
      return Number(m[1]) * DURATION_UNITS[m[2]!]!;
    })
    .describe(description);
}

/** Where a stateful step's store keeps its entries; default the pipeline's `state.storage`. */
export const storeStorage = z
  .enum(['memory', 'disk'])
  .optional()
  .describe(
    "Where the store's entries live: memory, or disk (LMDB under the transformer's runtime.stateDir, for state " +
      "larger than memory; rebuilt from the changelog on assignment). Default the pipeline's state.storage.",
  );

/** A state store name (part of its changelog topic `<groupId>-<store>-changelog`). */
export const storeName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'a store name: letters, digits, ".", "_" and "-"');
