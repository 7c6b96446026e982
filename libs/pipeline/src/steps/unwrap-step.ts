import { z } from 'zod';
import { FatalRecordError } from '@sluice/errors';
import type { AvroType, RecordType } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import {
  addedField,
  assertNewField,
  type FieldSpec,
  fieldOf,
  primitive,
  recordOf,
  withFields,
} from '../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../schema/derived-schema';
import { type Step, stepDefinition } from './step';
import { asPropertyKey } from './config-fields';

const DELETE_MODES = [
  'drop',
  'tombstone',
  'rewrite',
  'rewrite-with-tombstone',
  'delete-to-tombstone',
] as const;
type DeleteMode = (typeof DELETE_MODES)[number];

const configSchema = z.strictObject({
  deletes: z
    .enum(DELETE_MODES)
    .default('tombstone')
    .describe(
      "Debezium's delete.tombstone.handling.mode. drop: delete events and tombstones are dropped. tombstone: " +
        'delete events are dropped, tombstones kept. rewrite: a delete becomes its `before` row with ' +
        '`<prefix>deleted` = "true" (every row carries it), tombstones dropped. rewrite-with-tombstone: rewrite ' +
        'and keep tombstones. delete-to-tombstone: a delete becomes a tombstone, input tombstones dropped. ' +
        'Default tombstone.',
    ),
  addFields: z
    .array(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'a field or struct.field name'),
    )
    .default([])
    .describe(
      'Envelope fields copied into the row as `<prefix><name>` (Debezium add.fields): op, ts_ms, a source field ' +
        'such as table or lsn (`__table`, `__lsn`), or struct.field such as source.ts_ms (`__source_ts_ms`) or ' +
        'transaction.id. Added fields are nullable. Default none.',
    ),
  prefix: z.string().default('__').describe('Prefix of added field names. Default "__".'),
});

interface AddedField {
  readonly name: string;
  readonly struct?: string;
  readonly field: string;
}

/** The row state of a Debezium change event, like Debezium's ExtractNewRecordState. */
export class UnwrapStep implements Step {
  private readonly added: readonly AddedField[];
  private readonly rewrite: boolean;
  private readonly deletedField: string;

  constructor(
    private readonly mode: DeleteMode,
    addFields: readonly string[],
    private readonly prefix: string,
  ) {
    this.rewrite = mode === 'rewrite' || mode === 'rewrite-with-tombstone';
    this.deletedField = asPropertyKey(`${prefix}deleted`);
    this.added = addFields.map((spec) => {
      const [struct, field] = spec.includes('.') ? spec.split('.') : [undefined, spec];
      return { name: asPropertyKey(`${prefix}${spec.replace('.', '_')}`), struct, field: field! };
    });
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const envelope = recordOf(input.value);
    const what = `the value (${envelope.fullName}) is not a Debezium change event:`;
    const after = envelope.fields.find((f) => f.name === 'after');
    if (!after || !envelope.fields.some((f) => f.name === 'op'))
      throw new SchemaDerivationError(`${what} it has no "after" and "op" fields`);
    const row = recordOf(after.type, `${what} "after"`);
    const fields: FieldSpec[] = [...row.fields];
    for (const a of this.added) {
      assertNewField(row, a.name);
      fields.push(addedField(a.name, this.addedType(envelope, a)));
    }
    if (this.rewrite) {
      assertNewField(row, this.deletedField);
      fields.push(
        addedField(this.deletedField, primitive('string'), 'Whether the row was deleted: "true" or "false".'),
      );
    }
    return { ...input, value: withFields(row, fields) };
  }

  private addedType(envelope: RecordType, a: AddedField): AvroType {
    const struct = a.struct ?? (envelope.fields.some((f) => f.name === a.field) ? undefined : 'source');
    if (!struct) return fieldOf(envelope, a.field).type;
    return fieldOf(recordOf(fieldOf(envelope, struct).type, `"${struct}"`), a.field).type;
  }

  apply(record: WorkingRecord): StepResult {
    const envelope = valueFields(record);
    const op = envelope.op;
    switch (op) {
      case 'c':
      case 'r':
      case 'u':
        return { ...record, value: this.row(envelope, envelope.after, false) };
      case 'd':
        if (this.rewrite) return { ...record, value: this.row(envelope, envelope.before, true) };
        return this.mode === 'delete-to-tombstone' ? { ...record, value: null } : null;
      case 't':
      case 'm':
        return null; // truncates and logical messages have no row state
      default:
        throw new FatalRecordError(`unknown Debezium op ${JSON.stringify(op)}`, { code: 'UNKNOWN_OP' });
    }
  }

  applyTombstone(record: WorkingRecord): StepResult {
    return this.mode === 'tombstone' || this.mode === 'rewrite-with-tombstone' ? record : null;
  }

  private row(
    envelope: Readonly<Record<string, unknown>>,
    state: unknown,
    deleted: boolean,
  ): Record<string, unknown> {
    if (state === null || typeof state !== 'object')
      throw new FatalRecordError(`op "${String(envelope.op)}" without row state`, {
        code: 'MISSING_ROW_STATE',
      });
    const out: Record<string, unknown> = { ...(state as Record<string, unknown>) };
    for (const a of this.added) {
      const struct = a.struct ?? (a.field in envelope ? undefined : 'source');
      const holder = struct ? (envelope[struct] as Record<string, unknown> | null) : envelope;
      out[a.name] = holder?.[a.field] ?? null;
    }
    if (this.rewrite) out[this.deletedField] = deleted ? 'true' : 'false';
    return out;
  }
}

export const unwrapStep = stepDefinition({
  name: 'unwrap',
  summary:
    "Flattens a Debezium change event to the row state, like Debezium's ExtractNewRecordState: creates, " +
    'updates and snapshot reads become their `after` row; deletes and tombstones are handled per `deletes`; ' +
    'truncates are dropped. The output record is the row type of the topic (e.g. `sluice.public.orders.Value`).',
  configSchema,
  example: 'unwrap:\n  deletes: rewrite\n  addFields: [op, table, source.ts_ms]',
  fromConfig: (cfg) => new UnwrapStep(cfg.deletes, cfg.addFields, cfg.prefix),
});
