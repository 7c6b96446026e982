import { z } from 'zod';
import { FatalRecordError } from '@sluice/errors';
import type { RecordType } from '@sluice/schema';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import { valueFields } from '../record/record-scope';
import { fieldOf, recordOf } from '../schema/avro-builder';
import type { StreamSchemas } from '../schema/derived-schema';
import { fieldName } from './config-fields';
import { type Step, stepDefinition } from './step';

const AGGREGATE_TYPE = /^[A-Za-z0-9._-]{1,200}$/;

const configSchema = z
  .strictObject({
    idField: fieldName.default('id').describe('The event id column, sent as the `id` header. Default id.'),
    aggregateTypeField: fieldName
      .default('aggregatetype')
      .describe('The column that picks the topic. Default aggregatetype.'),
    aggregateIdField: fieldName
      .default('aggregateid')
      .describe('The column that becomes the key. Default aggregateid.'),
    payloadField: fieldName
      .default('payload')
      .describe('The column that becomes the value. Default payload.'),
    topic: z
      .string()
      .regex(/^[A-Za-z0-9._{}-]+$/, 'a topic name, with {aggregateType} where the aggregate type goes')
      .default('outbox.event.{aggregateType}')
      .describe(
        'The destination; {aggregateType} is replaced by the aggregate type column. Default outbox.event.{aggregateType}.',
      ),
    headers: z
      .record(fieldName, z.string().min(1))
      .default({})
      .describe(
        'More columns sent as headers: column → header name, e.g. { type: eventType }. Default none.',
      ),
    aggregateTypes: z
      .array(z.string().regex(AGGREGATE_TYPE, 'letters, digits, . _ -'))
      .min(1)
      .optional()
      .describe(
        'The aggregate types allowed; a row of another is dead-lettered. Default any (then `topic` must start with a fixed prefix).',
      ),
  })
  .refine((c) => c.aggregateTypes !== undefined || !c.topic.startsWith('{aggregateType}'), {
    path: ['topic'],
    message:
      'needs a fixed prefix before {aggregateType} (or list aggregateTypes): a row must not choose any topic it likes',
  });

/**
 * Debezium's outbox event router: each row inserted into an outbox table becomes one event on the
 * topic of its aggregate type, keyed by the aggregate id, with the payload as the value. Reads
 * change events (inserts and snapshot reads; updates and deletes of outbox rows are dropped, as
 * Debezium does) or plain rows.
 */
export class OutboxStep implements Step {
  private readonly headerColumns: ReadonlyArray<readonly [string, string]>;

  constructor(private readonly cfg: z.output<typeof configSchema>) {
    this.headerColumns = Object.entries(cfg.headers);
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const row = this.rowType(recordOf(input.value));
    for (const name of [this.cfg.idField, this.cfg.aggregateTypeField, ...this.headerColumns.map(([c]) => c)])
      fieldOf(row, name);
    return {
      key: fieldOf(row, this.cfg.aggregateIdField).type,
      value: fieldOf(row, this.cfg.payloadField).type,
    };
  }

  private rowType(value: RecordType): RecordType {
    const after = value.fields.find((f) => f.name === 'after');
    return after && value.fields.some((f) => f.name === 'op') ? recordOf(after.type, '"after"') : value;
  }

  apply(record: WorkingRecord): StepResult {
    const value = valueFields(record);
    let row = value;
    if ('op' in value && 'after' in value) {
      if (value.op !== 'c' && value.op !== 'r') return null;
      row = value.after as Record<string, unknown>;
    }
    const aggregateType = row[this.cfg.aggregateTypeField];
    if (typeof aggregateType !== 'string' || aggregateType === '')
      throw new FatalRecordError(`outbox row without ${this.cfg.aggregateTypeField}`, {
        code: 'OUTBOX_INVALID',
      });
    // The row names its topic: only a legal name, of an allowed type, under the configured prefix.
    if (!AGGREGATE_TYPE.test(aggregateType) || !(this.cfg.aggregateTypes?.includes(aggregateType) ?? true))
      throw new FatalRecordError(
        `outbox row's ${this.cfg.aggregateTypeField} ${JSON.stringify(aggregateType.slice(0, 100))} is ` +
          (AGGREGATE_TYPE.test(aggregateType) ? 'not in aggregateTypes' : 'not a legal topic name part'),
        { code: 'OUTBOX_INVALID' },
      );
    const headers = [...record.headers, header('id', row[this.cfg.idField])];
    for (const [column, name] of this.headerColumns) headers.push(header(name, row[column]));
    return {
      ...record,
      topic: this.cfg.topic.replaceAll('{aggregateType}', aggregateType),
      key: row[this.cfg.aggregateIdField] ?? null,
      value: row[this.cfg.payloadField] ?? null,
      headers,
    };
  }

  applyTombstone(): StepResult {
    return null;
  }
}

function header(key: string, v: unknown) {
  const text = v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  return { key, value: text };
}

export const outboxStep = stepDefinition({
  name: 'outbox',
  summary:
    "Debezium's outbox event router: a row of an outbox table becomes an event on `outbox.event.<aggregate type>`, " +
    'keyed by the aggregate id, with the payload column as the value and the event id as the `id` header. ' +
    'Updates, deletes and tombstones of outbox rows are dropped.',
  configSchema,
  example: 'outbox:\n  topic: events.{aggregateType}\n  headers: { type: eventType }',
  fromConfig: (cfg) => new OutboxStep(cfg),
});
