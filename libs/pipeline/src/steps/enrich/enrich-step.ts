import { z } from 'zod';
import { postgresSslSchema, postgresTlsOptions } from '@sluice/config';
import { FatalRecordError, RetriableError } from '@sluice/errors';
import { Expression } from '../../expression/expression';
import type { StepResult, WorkingRecord } from '../../record/pipeline-record';
import { scopeOf, valueFields } from '../../record/record-scope';
import { addedField, assertNewField, primitive, recordOf, withFields } from '../../schema/avro-builder';
import type { StreamSchemas } from '../../schema/derived-schema';
import { asPropertyKey, expressionText, fieldName } from '../config-fields';
import { type Step, type StepContext, stepDefinition } from '../step';
import { LookupCache } from './lookup-cache';
import type { LookupRow, RowLookup } from './row-lookup';

const COLUMN_TYPES = ['string', 'int', 'long', 'double', 'boolean'] as const;
type ColumnType = (typeof COLUMN_TYPES)[number];

const configSchema = z
  .strictObject({
    connection: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection URL')
      .describe('The Postgres connection URL; put the password in ${ENV_VAR}.'),
    ssl: postgresSslSchema.describe(
      "TLS to the lookup database (libpq sslmode semantics; files relative to the pipeline file). Default: plain TCP, or the URL's sslmode.",
    ),
    query: z
      .string()
      .min(1)
      .describe('A parameterised SELECT ($1, $2, ...); the first row it returns enriches the record.'),
    params: z
      .array(expressionText('An expression for one query parameter, e.g. customer_id or $key.id.'))
      .default([])
      .describe('The values of $1, $2, ..., in order. Default none.'),
    fields: z
      .array(
        z.strictObject({
          column: z.string().min(1).overwrite(asPropertyKey).describe('The result column.'),
          as: fieldName.optional().describe('The new value field. Default: the column name.'),
          type: z.enum(COLUMN_TYPES).default('string').describe('Its Avro type (nullable). Default string.'),
        }),
      )
      .min(1)
      .describe('Columns copied into the value as new nullable fields.'),
    onMissing: z
      .enum(['null', 'drop', 'dlq'])
      .default('null')
      .describe('When no row is found: null (the fields are null), drop the record, or dlq. Default null.'),
    cacheTtlMs: z
      .number()
      .int()
      .min(0)
      .default(60_000)
      .describe('How long a result (or a miss) is cached; 0 disables. Default 60000.'),
    cacheMaxEntries: z.number().int().min(1).default(10_000).describe('Most cached results. Default 10000.'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .default(2_000)
      .describe(
        'A lookup slower than this fails with a retriable error (the runtime retries). Default 2000.',
      ),
  })
  .superRefine((cfg, ctx) => {
    // node-postgres lets the URL's sslmode override the ssl option: two answers, one silently lost.
    if (cfg.ssl.mode !== 'disable' && /[?&]ssl(mode|rootcert|cert|key)?=/.test(cfg.connection)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ssl'],
        message: 'TLS is set both in the connection URL (ssl...=) and in ssl: use ssl only',
      });
    }
  });

interface Column {
  readonly column: string;
  readonly field: string;
  readonly type: ColumnType;
}

const CONVERT: Record<ColumnType, (v: unknown) => unknown> = {
  string: (v) =>
    v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v),
  int: (v) => Number(v),
  long: (v) => Number(v), // pg returns int8 and numeric as text
  double: (v) => Number(v),
  boolean: (v) => v === true || v === 't' || v === 'true',
};

/** Adds columns of a Postgres row looked up per record, with a TTL cache. */
export class EnrichStep implements Step {
  private readonly cache: LookupCache;

  constructor(
    private readonly lookup: RowLookup,
    private readonly params: readonly Expression[],
    private readonly columns: readonly Column[],
    private readonly onMissing: 'null' | 'drop' | 'dlq',
    cache: { ttlMs: number; maxEntries: number; clock: () => number },
    private readonly timeoutMs: number,
  ) {
    this.cache = new LookupCache(cache.ttlMs, cache.maxEntries, cache.clock);
  }

  deriveSchema(input: StreamSchemas): StreamSchemas {
    const record = recordOf(input.value);
    for (const c of this.columns) assertNewField(record, c.field);
    return {
      ...input,
      value: withFields(record, [
        ...record.fields,
        ...this.columns.map((c) => addedField(c.field, primitive(c.type))),
      ]),
    };
  }

  async apply(record: WorkingRecord): Promise<StepResult> {
    const scope = scopeOf(record);
    const params = this.params.map((p) => p.valueFor(scope));
    const row = await this.cache.get(JSON.stringify(params), () => this.find(params));
    if (!row && this.onMissing === 'drop') return null;
    if (!row && this.onMissing === 'dlq')
      throw new FatalRecordError(`no row found for ${JSON.stringify(params)}`, { code: 'LOOKUP_MISSING' });
    return { ...record, value: this.enriched(valueFields(record), row) };
  }

  /** Bounded by `timeoutMs` whatever the lookup does, so a hung database is a retry, not a stall. */
  private find(params: readonly unknown[]): Promise<LookupRow | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RetriableError(`lookup timed out after ${this.timeoutMs} ms`, { code: 'LOOKUP_TIMEOUT' }),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([this.lookup.find(params), timeout]).finally(() => clearTimeout(timer));
  }

  private enriched(
    value: Readonly<Record<string, unknown>>,
    row: LookupRow | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = { ...value };
    for (const c of this.columns) {
      const v = row?.[c.column];
      out[c.field] = v === null || v === undefined ? null : CONVERT[c.type](v);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.lookup.close();
  }
}

export const enrichStep = stepDefinition({
  name: 'enrich',
  summary:
    'Adds columns from a Postgres lookup (a parameterised query per record) with a TTL cache. A slow or ' +
    'unreachable database gives a retriable error (the runtime retries with its policy, then dead-letters); ' +
    'a missing row gives null fields, drops the record, or dead-letters it.',
  configSchema,
  example:
    'enrich:\n  connection: postgres://app:${CRM_DB_PASSWORD}@crm-db:5432/crm\n' +
    '  query: select name, tier from customers where id = $1\n  params: [customer_id]\n' +
    '  fields:\n    - { column: name, as: customer_name }\n    - { column: tier, as: customer_tier }',
  fromConfig: (cfg, ctx: StepContext) =>
    new EnrichStep(
      ctx.lookups({
        connection: cfg.connection,
        ssl: postgresTlsOptions(cfg.ssl, {
          baseDir: ctx.baseDir,
          path: `${ctx.label}.ssl`,
          source: 'pipeline',
        }),
        query: cfg.query,
        timeoutMs: cfg.timeoutMs,
      }),
      cfg.params.map((p) => Expression.parse(p)),
      cfg.fields.map((f) => ({ column: f.column, field: f.as ?? f.column, type: f.type })),
      cfg.onMissing,
      { ttlMs: cfg.cacheTtlMs, maxEntries: cfg.cacheMaxEntries, clock: ctx.clock },
      cfg.timeoutMs,
    ),
});
