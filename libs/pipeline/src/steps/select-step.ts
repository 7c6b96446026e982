import { z } from 'zod';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, recordOf, withFields } from '../schema/avro-builder';
import type { StreamSchemas } from '../schema/derived-schema';
import { fieldNames } from './config-fields';
import { type Step, stepDefinition } from './step';

/** Keeps only the named top-level fields of the value, in the order given. */
export class SelectStep implements Step {
  constructor(private readonly fields: readonly string[]) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    return {
      ...input,
      value: withFields(
        record,
        this.fields.map((name) => fieldOf(record, name)),
      ),
    };
  }

  apply(record: WorkingRecord): StepResult {
    const value = valueFields(record);
    const out: Record<string, unknown> = {};
    for (const name of this.fields) out[name] = value[name] ?? null;
    return { ...record, value: out };
  }
}

export const selectStep = stepDefinition({
  name: 'select',
  summary: 'Keeps only the named top-level fields of the value (Kafka Connect ReplaceField include).',
  configSchema: z.strictObject({ fields: fieldNames('The fields to keep, in output order.') }),
  example: 'select:\n  fields: [id, status, total]',
  fromConfig: (cfg) => new SelectStep(cfg.fields),
});
