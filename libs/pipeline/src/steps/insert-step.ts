import { z } from 'zod';
import type { AvroType } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { addedField, assertNewField, primitive, recordOf, withFields } from '../schema/avro-builder';
import type { StreamSchemas } from '../schema/derived-schema';
import { fieldName } from './config-fields';
import { type Step, type StepContext, stepDefinition } from './step';

const SOURCES = ['topic', 'partition', 'offset', 'timestamp', 'now'] as const;
type Source = (typeof SOURCES)[number];

const insertion = z.union([
  z.strictObject({
    name: fieldName.describe('The new field.'),
    value: z
      .union([z.string(), z.number(), z.boolean()])
      .describe('A static value: string → string, integer → long, other number → double, boolean → boolean.'),
  }),
  z.strictObject({
    name: fieldName.describe('The new field.'),
    from: z
      .enum(SOURCES)
      .describe(
        'Record metadata: topic (string), partition (int), offset (long), timestamp (Kafka record time, ' +
          'timestamp-millis), now (processing time, timestamp-millis).',
      ),
  }),
]);

type Insertion = z.output<typeof insertion>;

interface Inserted {
  readonly name: string;
  readonly type: AvroType;
  readonly valueOf: (record: WorkingRecord) => unknown;
}

function inserted(spec: Insertion, clock: () => number): Inserted {
  if ('value' in spec) {
    const v = spec.value;
    const type =
      typeof v === 'string'
        ? primitive('string')
        : typeof v === 'boolean'
          ? primitive('boolean')
          : Number.isInteger(v)
            ? primitive('long')
            : primitive('double');
    return { name: spec.name, type, valueOf: () => v };
  }
  const from: Source = spec.from;
  switch (from) {
    case 'topic':
      return { name: spec.name, type: primitive('string'), valueOf: (r) => r.metadata.topic };
    case 'partition':
      return { name: spec.name, type: primitive('int'), valueOf: (r) => r.metadata.partition };
    case 'offset':
      return { name: spec.name, type: primitive('long'), valueOf: (r) => Number(r.metadata.offset) };
    case 'timestamp':
      return {
        name: spec.name,
        type: primitive('long', 'timestamp-millis'),
        valueOf: (r) => r.metadata.timestamp,
      };
    case 'now':
      return { name: spec.name, type: primitive('long', 'timestamp-millis'), valueOf: () => clock() };
  }
}

/** Adds fields to the value: static values or record metadata (Kafka Connect InsertField). */
export class InsertStep implements Step {
  constructor(private readonly fields: readonly Inserted[]) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    for (const f of this.fields) assertNewField(record, f.name);
    return {
      ...input,
      value: withFields(record, [...record.fields, ...this.fields.map((f) => addedField(f.name, f.type))]),
    };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = { ...valueFields(record) };
    for (const f of this.fields) out[f.name] = f.valueOf(record);
    return { ...record, value: out };
  }
}

export const insertStep = stepDefinition({
  name: 'insert',
  summary:
    'Adds fields to the value: a static value or record metadata (topic, partition, offset, Kafka timestamp, ' +
    'processing time). Added fields are nullable with a default of null, so adding a step is a compatible change.',
  configSchema: z.strictObject({
    fields: z.array(insertion).min(1).describe('The fields to add, appended in this order.'),
  }),
  example:
    'insert:\n  fields:\n    - { name: region, value: eu }\n    - { name: source_offset, from: offset }\n    - { name: processed_at, from: now }',
  fromConfig: (cfg, ctx: StepContext) => new InsertStep(cfg.fields.map((f) => inserted(f, ctx.clock))),
});
