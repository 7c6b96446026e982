import { z } from 'zod';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, recordOf, withFields } from '../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../schema/derived-schema';
import { fieldName } from './config-fields';
import { type Step, stepDefinition } from './step';

/** Renames top-level fields of the value; the others keep their names and order. */
export class RenameStep implements Step {
  private readonly renames: ReadonlyMap<string, string>;
  constructor(renames: Readonly<Record<string, string>>) {
    this.renames = new Map(Object.entries(renames));
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    for (const from of this.renames.keys()) fieldOf(record, from);
    const fields = record.fields.map((f) => {
      const to = this.renames.get(f.name);
      // The old name becomes an alias, so a reader of the old shape can still resolve the field.
      return to ? { ...f, name: to, aliases: [...f.aliases, f.name] } : f;
    });
    const names = fields.map((f) => f.name);
    const clash = names.find((n, i) => names.indexOf(n) !== i);
    if (clash) throw new SchemaDerivationError(`renaming gives two fields named "${clash}"`);
    return { ...input, value: withFields(record, fields) };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(valueFields(record))) out[this.renames.get(name) ?? name] = v;
    return { ...record, value: out };
  }
}

export const renameStep = stepDefinition({
  name: 'rename',
  summary:
    'Renames top-level fields of the value (Kafka Connect ReplaceField renames). The old name is kept as an Avro alias.',
  configSchema: z.strictObject({
    fields: z
      .record(fieldName, fieldName)
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .describe('Old name → new name.'),
  }),
  example: 'rename:\n  fields:\n    cust_id: customer_id',
  fromConfig: (cfg) => new RenameStep(cfg.fields),
});
