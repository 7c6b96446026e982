import { z } from 'zod';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, newRecord, recordOf } from '../schema/avro-builder';
import type { StreamSchemas } from '../schema/derived-schema';
import { fieldNames } from './config-fields';
import { type Step, stepDefinition } from './step';

/** The key becomes a record of value fields (Kafka Connect ValueToKey), so ordering follows them. */
export class SetKeyStep implements Step {
  constructor(
    private readonly fields: readonly string[],
    private readonly name: string | undefined,
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    const fullName = this.name ?? (record.namespace ? `${record.namespace}.Key` : `${record.name}Key`);
    const fields = this.fields.map((name) => {
      const f = fieldOf(record, name);
      return {
        name: f.name,
        type: f.type,
        ...(f.doc ? { doc: f.doc } : {}),
        ...(f.default ? { default: f.default } : {}),
      };
    });
    return { ...input, key: newRecord(fullName, fields) };
  }

  apply(record: WorkingRecord): StepResult {
    const value = valueFields(record);
    const key: Record<string, unknown> = {};
    for (const name of this.fields) key[name] = value[name] ?? null;
    return { ...record, key };
  }

  /** A tombstone has no fields to build the new key from, and under the old key it would delete nothing. */
  applyTombstone(): StepResult {
    return null;
  }
}

export const setKeyStep = stepDefinition({
  name: 'setKey',
  summary:
    'Replaces the key with a record of value fields (Kafka Connect ValueToKey), so partitioning and per-key ' +
    'order follow those fields. Tombstones are dropped (they have no fields to build the key from).',
  configSchema: z.strictObject({
    fields: fieldNames('Top-level value fields that make the key, in order.'),
    name: z
      .string()
      .regex(
        /^([A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*$/,
        'a full Avro name such as com.acme.OrderKey',
      )
      .optional()
      .describe("The key record's full Avro name. Default: the value record's namespace + `.Key`."),
  }),
  example: 'setKey:\n  fields: [customer_id]',
  fromConfig: (cfg) => new SetKeyStep(cfg.fields, cfg.name),
});
