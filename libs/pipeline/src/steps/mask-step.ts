import { z } from 'zod';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, nullable, primitive, recordOf, unwrapNullable, withFields } from '../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../schema/derived-schema';
import { fieldNames } from './config-fields';
import { KeyedHash } from './keyed-hash';
import { type Step, stepDefinition } from './step';

const configSchema = z
  .strictObject({
    fields: fieldNames('Top-level fields of the value to mask.'),
    with: z
      .enum(['redact', 'hash'])
      .default('redact')
      .describe(
        'redact: strings become `replacement`, numbers 0, booleans false, bytes empty, other nullable types null; ' +
          'the schema is unchanged. hash: the value becomes the hex HMAC-SHA256 of its text (bytes as they are) ' +
          'under `key`, so equal inputs still join; the field becomes a string. Default redact.',
      ),
    replacement: z.string().default('****').describe('What a redacted string becomes. Default "****".'),
    key: z
      .string()
      .min(16, 'an HMAC key needs at least 16 characters')
      .optional()
      .describe('The HMAC key for `hash`; required then. Give it as ${ENV_VAR}, never in the file.'),
  })
  .refine((c) => c.with !== 'hash' || c.key !== undefined, {
    path: ['key'],
    message: 'required when with is hash',
  });

/** Redacts or hashes PII fields (Kafka Connect MaskField, with a keyed hash option). */
export class MaskStep implements Step {
  constructor(
    private readonly fields: readonly string[],
    private readonly mask: (value: unknown) => unknown,
    private readonly hashes: boolean,
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    const masked = new Set(this.fields);
    for (const name of this.fields) {
      const field = fieldOf(record, name);
      const { type, nullable: isNullable } = unwrapNullable(field.type);
      const redactable =
        type.kind === 'primitive' ? type.name !== 'null' : type.kind === 'fixed' ? false : isNullable;
      if (!this.hashes && (!redactable || type.kind === 'enum'))
        throw new SchemaDerivationError(
          `cannot redact "${name}" (${type.kind === 'primitive' ? type.name : type.kind}): only primitive or nullable fields can be redacted; use with: hash or drop the field`,
        );
    }
    const fields = record.fields.map((f) => {
      if (!masked.has(f.name) || !this.hashes) return f;
      const isNullable = unwrapNullable(f.type).nullable;
      const type = isNullable ? nullable(primitive('string')) : primitive('string');
      return { ...f, type, default: isNullable ? { value: null } : undefined };
    });
    return { ...input, value: withFields(record, fields) };
  }

  apply(record: WorkingRecord): StepResult {
    const out: Record<string, unknown> = { ...valueFields(record) };
    for (const name of this.fields) {
      const v = out[name];
      if (v !== null && v !== undefined) out[name] = this.mask(v);
    }
    return { ...record, value: out };
  }
}

function redactor(replacement: string) {
  return (v: unknown): unknown => {
    if (typeof v === 'string') return replacement;
    if (typeof v === 'number') return 0;
    if (typeof v === 'boolean') return false;
    if (Buffer.isBuffer(v)) return Buffer.alloc(0);
    return null;
  };
}

function hasher(key: string) {
  const keyed = new KeyedHash(key);
  return (v: unknown): string =>
    keyed.hex(Buffer.isBuffer(v) ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
}

export const maskStep = stepDefinition({
  name: 'mask',
  summary:
    'Masks PII: redacts fields to a fixed value, or replaces them with a keyed HMAC-SHA256 hash (stable, so ' +
    'hashed values can still be joined and counted, but not reversed without the key).',
  configSchema,
  example: 'mask:\n  fields: [email, phone]\n  with: hash\n  key: ${PII_HASH_KEY}',
  fromConfig: (cfg) =>
    new MaskStep(
      cfg.fields,
      cfg.with === 'hash' ? hasher(cfg.key!) : redactor(cfg.replacement),
      cfg.with === 'hash',
    ),
});
