import { z } from 'zod';
import type { RecordField } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, recordOf, withFields } from '../schema/avro-builder';
import type { StreamSchemas } from '../schema/derived-schema';
import { fieldNames } from './config-fields';
import { type Step, stepDefinition } from './step';

/** Removes the named top-level fields of the value. */
export class DropStep implements Step {
  private readonly dropped: ReadonlySet<string>;
  constructor(fields: readonly string[]) {
    this.dropped = new Set(fields);
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    for (const name of this.dropped) fieldOf(record, name);
    const kept: RecordField[] = record.fields.filter((f) => !this.dropped.has(f.name));
    return { ...input, value: withFields(record, kept) };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(valueFields(record))) if (!this.dropped.has(name)) out[name] = v;
    return { ...record, value: out };
  }
}

export const dropStep = stepDefinition({
  name: 'drop',
  summary: 'Removes the named top-level fields of the value (Kafka Connect ReplaceField exclude).',
  configSchema: z.strictObject({
    fields: fieldNames('The fields to remove; each must exist in the input schema.'),
  }),
  example: 'drop:\n  fields: [internal_notes]',
  fromConfig: (cfg) => new DropStep(cfg.fields),
});
