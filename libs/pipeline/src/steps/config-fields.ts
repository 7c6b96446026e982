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

/** An Avro field name. */
export const fieldName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must be an Avro name: letters, digits and _, not starting with a digit',
  );

export function fieldNames(description: string) {
  return z.array(fieldName).min(1).describe(description);
}
