import { z } from 'zod';
import { TextTemplate } from './text-template';

/** Text with `{{ expression }}` placeholders, checked against the grammar when the YAML is read. */
export function templateText(description: string) {
  return z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      try {
        TextTemplate.parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `invalid template: ${(error as Error).message}` });
      }
    })
    .describe(description);
}
