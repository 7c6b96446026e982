import { z } from 'zod';
import { FatalRecordError } from '@sluice/errors';
import { decimalBytesText } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, nullable, primitive, recordOf, unwrapNullable, withFields } from '../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../schema/derived-schema';
import { fieldName } from './config-fields';
import { type Step, stepDefinition } from './step';

const TARGETS = ['string', 'int', 'long', 'float', 'double', 'boolean'] as const;
type Target = (typeof TARGETS)[number];

const CASTABLE = new Set(['string', 'int', 'long', 'float', 'double', 'boolean']);

function bad(value: unknown, target: Target): never {
  throw new FatalRecordError(`cannot cast ${JSON.stringify(value)} to ${target}`, { code: 'CAST_FAILED' });
}

function toNumber(v: unknown, target: Target): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return bad(v, target);
}

/** A number is truncated toward zero (as Kafka Connect's Cast does); text must be a whole number. */
function integer(v: unknown, target: Target, min: number, max: number): number {
  const n = typeof v === 'number' ? Math.trunc(v) : toNumber(v, target);
  if (!Number.isInteger(n) || n < min || n > max) bad(v, target);
  return n;
}

const CASTS: Record<Target, (v: unknown) => unknown> = {
  string: (v) => String(v),
  int: (v) => integer(v, 'int', -(2 ** 31), 2 ** 31 - 1),
  long: (v) => integer(v, 'long', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  float: (v) => toNumber(v, 'float'),
  double: (v) => toNumber(v, 'double'),
  boolean: (v) => {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 1) return true;
    if (v === 'false' || v === 0) return false;
    return bad(v, 'boolean');
  },
};

const DECIMAL_TARGETS = new Set<Target>(['string', 'double', 'float']);

/** Changes the type of top-level primitive fields (Kafka Connect Cast). */
export class CastStep implements Step {
  private readonly casts: ReadonlyArray<readonly [string, Target]>;
  /** Fields that hold Avro decimals, with their scale (found when the schema is derived). */
  private readonly decimalScales = new Map<string, number>();
  constructor(casts: Readonly<Record<string, Target>>) {
    this.casts = Object.entries(casts);
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    const targets = new Map(this.casts);
    for (const [name, target] of this.casts) {
      const { type } = unwrapNullable(fieldOf(record, name).type);
      // A decimal (Debezium's numeric(p,s)) becomes its exact text, or the nearest double.
      const logical = type.kind !== 'union' ? type.logicalType : undefined;
      if (logical?.name === 'decimal' && DECIMAL_TARGETS.has(target)) {
        this.decimalScales.set(name, logical.scale ?? 0);
        continue;
      }
      if (type.kind !== 'primitive' || !CASTABLE.has(type.name) || type.logicalType)
        throw new SchemaDerivationError(
          `cannot cast "${name}": only string, int, long, float, double and boolean fields without a logical type, and decimals to string, double or float, can be cast`,
        );
    }
    const fields = record.fields.map((f) => {
      const target = targets.get(f.name);
      if (!target) return f;
      const isNullable = unwrapNullable(f.type).nullable;
      return {
        ...f,
        type: isNullable ? nullable(primitive(target)) : primitive(target),
        default: isNullable ? { value: null } : undefined,
      };
    });
    return { ...input, value: withFields(record, fields) };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = { ...valueFields(record) };
    for (const [name, target] of this.casts) {
      let v = out[name];
      if (v === null || v === undefined) continue;
      const scale = this.decimalScales.get(name);
      if (scale !== undefined && Buffer.isBuffer(v)) v = decimalBytesText(v, scale);
      out[name] = CASTS[target](v);
    }
    return { ...record, value: out };
  }
}

export const castStep = stepDefinition({
  name: 'cast',
  summary:
    'Changes the type of top-level primitive fields (Kafka Connect Cast); a decimal (Debezium numeric) casts to its ' +
    'exact text or to a double. A value that cannot be converted (e.g. "abc" to int) fails the record, which goes to ' +
    'the dead-letter topic.',
  configSchema: z.strictObject({
    fields: z
      .record(fieldName, z.enum(TARGETS))
      .refine((m) => Object.keys(m).length > 0, 'name at least one field')
      .describe(
        'Field → target type: string, int, long, float, double or boolean (a decimal field: string, double or float).',
      ),
  }),
  example: 'cast:\n  fields:\n    quantity: int\n    price: string',
  fromConfig: (cfg) => new CastStep(cfg.fields),
});
