import { z } from 'zod';
import { FatalRecordError } from '@sluice/errors';
import type { AvroType } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, nullable, primitive, recordOf, unwrapNullable, withFields } from '../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../schema/derived-schema';
import { fieldNames } from './config-fields';
import { type Step, stepDefinition } from './step';

const UNITS = ['millis', 'micros', 'nanos', 'seconds', 'days', 'iso'] as const;
type Unit = (typeof UNITS)[number];

const DAY_MS = 86_400_000;

/** Epoch milliseconds (fractional for micros/nanos) of a value in `unit`. */
const TO_MILLIS: Record<Unit, (v: unknown) => number> = {
  millis: (v) => number(v),
  micros: (v) => number(v) / 1e3,
  nanos: (v) => number(v) / 1e6,
  seconds: (v) => number(v) * 1e3,
  days: (v) => number(v) * DAY_MS,
  iso: (v) => {
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isNaN(ms))
      throw new FatalRecordError(`not an ISO-8601 time: ${JSON.stringify(v)}`, { code: 'CONVERT_FAILED' });
    return ms;
  },
};

const FROM_MILLIS: Record<Unit, (ms: number) => unknown> = {
  millis: (ms) => Math.floor(ms),
  micros: (ms) => Math.round(ms * 1e3),
  nanos: (ms) => Math.round(ms * 1e6),
  seconds: (ms) => Math.floor(ms / 1e3),
  days: (ms) => Math.floor(ms / DAY_MS),
  iso: (ms) => new Date(ms).toISOString(),
};

const OUTPUT_TYPE: Record<Unit, AvroType> = {
  millis: primitive('long', 'timestamp-millis'),
  micros: primitive('long', 'timestamp-micros'),
  nanos: primitive('long', 'timestamp-nanos'),
  seconds: primitive('long'),
  days: primitive('int', 'date'),
  iso: primitive('string'),
};

function number(v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new FatalRecordError(`not an epoch number: ${JSON.stringify(v)}`, { code: 'CONVERT_FAILED' });
  return v;
}

/**
 * Converts time fields between epoch units, dates and ISO-8601 text (Kafka Connect TimestampConverter);
 * e.g. Debezium's microsecond timestamps to timestamp-millis.
 */
export class ConvertTimestampStep implements Step {
  private readonly convert: (v: unknown) => unknown;
  constructor(
    private readonly fields: readonly string[],
    private readonly from: Unit,
    private readonly to: Unit,
  ) {
    const read = TO_MILLIS[from];
    const write = FROM_MILLIS[to];
    this.convert = (v) => write(read(v));
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    const expected = this.from === 'iso' ? 'string' : ['int', 'long', 'double', 'float'];
    for (const name of this.fields) {
      const { type } = unwrapNullable(fieldOf(record, name).type);
      if (type.kind !== 'primitive' || !expected.includes(type.name))
        throw new SchemaDerivationError(`"${name}" cannot hold ${this.from} (expected ${String(expected)})`);
    }
    const converted = new Set(this.fields);
    const fields = record.fields.map((f) => {
      if (!converted.has(f.name)) return f;
      const isNullable = unwrapNullable(f.type).nullable;
      const type = OUTPUT_TYPE[this.to];
      return {
        ...f,
        type: isNullable ? nullable(type) : type,
        default: isNullable ? { value: null } : undefined,
      };
    });
    return { ...input, value: withFields(record, fields) };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = { ...valueFields(record) };
    for (const name of this.fields) {
      const v = out[name];
      if (v !== null && v !== undefined) out[name] = this.convert(v);
    }
    return { ...record, value: out };
  }
}

export const convertTimestampStep = stepDefinition({
  name: 'convertTimestamp',
  summary:
    'Converts time fields between epoch units, dates and ISO-8601 text (Kafka Connect TimestampConverter). ' +
    'Output types: millis → long timestamp-millis, micros → long timestamp-micros, nanos → long timestamp-nanos, ' +
    'seconds → long, days → int date, iso → string.',
  configSchema: z.strictObject({
    fields: fieldNames('Top-level fields of the value to convert.'),
    from: z
      .enum(UNITS)
      .describe('How the input holds time: millis, micros, nanos, seconds, days (since epoch) or iso.'),
    to: z.enum(UNITS).describe('How the output holds it (same choices).'),
  }),
  example: 'convertTimestamp:\n  fields: [created_at]\n  from: micros\n  to: iso',
  fromConfig: (cfg) => new ConvertTimestampStep(cfg.fields, cfg.from, cfg.to),
});
