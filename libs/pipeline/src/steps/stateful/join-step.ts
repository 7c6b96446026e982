import { z } from 'zod';
import type { AvroType } from '@sluice/schema';
import { Expression } from '../../expression/expression';
import { StepFailedError } from '../../pipeline/pipeline-errors';
import type { StepResult, WorkingRecord } from '../../record/pipeline-record';
import { scopeOf, valueFields } from '../../record/record-scope';
import { addedField, assertNewField, recordOf, withFields } from '../../schema/avro-builder';
import { SchemaDerivationError, type StreamSchemas } from '../../schema/derived-schema';
import { duration, expressionText, fieldName } from '../config-fields';
import { type Step, stepDefinition } from '../step';
import { type JoinTable, type JoinTableSpec, joinKeyText, type StepStartContext } from './join-table';

const configSchema = z.strictObject({
  table: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a topic name')
    .describe(
      'The table topic: a compacted topic of rows, or a Debezium CDC topic (e.g. demo.demo.customers) whose ' +
        'events are unwrapped by key (`after`; `op: d`, a null `after` or a tombstone deletes the row). Its values ' +
        'are Avro with their schema in the registry.',
    ),
  on: expressionText(
    'The table key of a stream record, e.g. after.customer_id or customer_id. A table key that is a record of one ' +
      'field (a Debezium key `{ id }`) is compared by that field. Default: the record key.',
  ).optional(),
  as: fieldName.describe('The value field that receives the joined row (an optional record), e.g. customer.'),
  type: z
    .enum(['inner', 'left'])
    .default('left')
    .describe(
      'inner: a record without a table row is dropped; left: it passes with the field null. Default left.',
    ),
  global: z
    .boolean()
    .default(false)
    .describe(
      'true: a global table, every partition of the table topic read by every task (a small table; any join key). ' +
        'false: co-partitioned — checked at start: the table topic has as many partitions as the input and the same ' +
        'key schema, and each record is joined on its own key (on must equal the record key). Default false.',
    ),
  grace: duration(
    "How long after a stream record's timestamp a table change may still reach the table topic and count for " +
      'it: a live record waits until then before the table is read to its end. Default 0 (no wait).',
  ).default(0),
  catchUpTimeoutMs: z
    .number()
    .int()
    .min(1)
    .default(30_000)
    .describe(
      'A table topic not read to its end within this long (an open transaction on it) fails the record with a ' +
        'retriable error. Default 30000.',
    ),
});

/**
 * Stream–table join (Kafka Streams' KStream–KTable join on a versioned table): each stream record is
 * joined with the table row of its key current at the record's Kafka timestamp. The table is read
 * to its end before the first record runs (restore) and followed after that; a record is only
 * joined once every table change with a timestamp up to its own that had reached the table topic
 * when its batch was fetched (or `grace` after its timestamp) was read. The answer depends on
 * timestamps, not on how far the table reader got: a replay joins the same rows.
 */
export class JoinStep implements Step {
  private table: JoinTable | undefined;
  /** Where the table came from: a start with another source (a new fixture case) gets a new table. */
  private tables: StepStartContext['tables'] | undefined;

  constructor(
    private readonly spec: JoinTableSpec,
    private readonly on: Expression | undefined,
    private readonly field: string,
    private readonly inner: boolean,
    private readonly global: boolean,
    private readonly label: string,
  ) {}

  async start(context: StepStartContext): Promise<void> {
    if (this.tables !== context.tables) {
      await this.close();
      this.table = context.tables(this.spec);
      this.tables = context.tables;
    }
    await this.table!.start({ inputTopics: context.inputTopics });
  }

  private started(): JoinTable {
    if (!this.table)
      throw new SchemaDerivationError(
        `join reads the table topic ${this.spec.topic} from Kafka: it runs in the transformer, which reads the table before the first record`,
      );
    return this.table;
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    assertNewField(record, this.field);
    const row = this.started().rowSchema();
    const clash = [...namedTypes(row)].filter((name) => namedTypes(record).has(name));
    if (clash.length > 0)
      throw new SchemaDerivationError(
        `the table's row type and the stream's value both define ${clash.join(', ')}: Avro names must be unique in one schema`,
      );
    return { ...input, value: withFields(record, [...record.fields, addedField(this.field, row)]) };
  }

  async apply(record: WorkingRecord): Promise<StepResult> {
    const key = this.on ? this.on.valueFor(scopeOf(record)) : record.key;
    if (key === null || key === undefined) return this.joined(record, undefined);
    const text = joinKeyText(key);
    if (!this.global && this.on && text !== joinKeyText(record.key))
      throw new StepFailedError(
        this.label,
        `the join key ${JSON.stringify(text)} is not the record key ${JSON.stringify(joinKeyText(record.key))}: ` +
          'a co-partitioned join looks the key up in the table partition of the record; re-key the stream (setKey) ' +
          'or use global: true',
        { code: 'NOT_COPARTITIONED' },
      );
    const { partition, timestamp, fetchedAt } = record.metadata;
    const row = await this.started().lookup(text, {
      partition,
      timestamp,
      ...(fetchedAt !== undefined ? { fetchedAt } : {}),
    });
    return this.joined(record, row ?? undefined);
  }

  private joined(record: WorkingRecord, row: Readonly<Record<string, unknown>> | undefined): StepResult {
    if (!row && this.inner) return null;
    return { ...record, value: { ...valueFields(record), [this.field]: row ?? null } };
  }

  /** Closes the table; the next `start` asks the context for a new one. */
  async close(): Promise<void> {
    const table = this.table;
    this.table = undefined;
    this.tables = undefined;
    await table?.close();
  }
}

/** The full names of the named types a type defines. */
function namedTypes(type: AvroType, into = new Set<string>()): Set<string> {
  switch (type.kind) {
    case 'record':
      if (into.has(type.fullName)) return into;
      into.add(type.fullName);
      for (const f of type.fields) namedTypes(f.type, into);
      return into;
    case 'enum':
    case 'fixed':
      into.add(type.fullName);
      return into;
    case 'array':
      return namedTypes(type.items, into);
    case 'map':
      return namedTypes(type.values, into);
    case 'union':
      for (const b of type.branches) namedTypes(b, into);
      return into;
    default:
      return into;
  }
}

export const joinStep = stepDefinition({
  name: 'join',
  summary:
    'Stream–table join: adds the row of a table topic (compacted, or a Debezium CDC topic unwrapped by key) ' +
    "current at the record's timestamp under a new optional record field, inner or left. The table is read " +
    'to its end before the first record (restore) and followed as it moves; each record is joined with the ' +
    'latest table version at or before its Kafka timestamp, so a replay gives the same outputs. Co-partitioned ' +
    '(checked at start: same partition count and key schema, joined on the record key) or global (every ' +
    "task reads the whole table). The output schema is the stream schema plus the table's registry row schema. " +
    'Runs in the transformer (and in sluice pipeline test against the tables a case lists).',
  configSchema,
  example:
    'join:\n  table: demo.demo.customers\n  on: customer_id\n  as: customer\n  type: left\n  global: true',
  fromConfig: (cfg, context) =>
    new JoinStep(
      {
        topic: cfg.table,
        global: cfg.global,
        graceMs: cfg.grace,
        catchUpTimeoutMs: cfg.catchUpTimeoutMs,
        label: context.label,
      },
      cfg.on === undefined ? undefined : Expression.parse(cfg.on),
      cfg.as,
      cfg.type === 'inner',
      cfg.global,
      context.label,
    ),
});
