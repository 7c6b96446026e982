import { z } from 'zod';
import { defineStep } from '../steps/custom-step';
import { addedField, primitive, recordOf, withFields } from '../schema/avro-builder';

/** A custom step as a team would write it (they import defineStep from @sluice/pipeline); for specs. */
export const derivations = { count: 0 };

export default defineStep({
  configSchema: z.strictObject({ rate: z.number().positive(), field: z.string().default('total_eur') }),
  deriveSchema: (input, config) => {
    derivations.count++;
    const record = recordOf(input.value);
    return {
      ...input,
      value: withFields(record, [...record.fields, addedField(config.field, primitive('double'))]),
    };
  },
  apply: (record, config) => {
    const value = record.value as Record<string, unknown>;
    return { ...record, value: { ...value, [config.field]: (value.total as number) * config.rate } };
  },
});

export const notAStep = { apply: () => null };
