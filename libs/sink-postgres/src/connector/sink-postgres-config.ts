import { z } from 'zod';
import { livenessConfigSchema } from '@sluice/observability';
import { postgresSslSchema, wholeNumber } from '@sluice/config';
import { consumerRuntimeSettings } from '@sluice/connect';
import { CONFLICT_RULES, type ConflictRule } from '../conflict/conflict-policy';

const positive = () => z.number().int().min(1);
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'expected a Postgres identifier (letters, digits, _ and $)');

/**
 * A resolution function, always schema-qualified: resolved at start against the target database,
 * never through the sink's search_path.
 */
export const functionRuleSchema = z.strictObject({
  function: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*$/,
      'expected schema.function (a schema-qualified Postgres function name)',
    )
    .describe(
      'A function of the target database, `schema.name`, taking (jsonb, jsonb, bigint, bigint, text, text) ' +
        'and returning jsonb.',
    ),
});

/** What a malformed table rule is told (a union's own message would only say "Invalid input"). */
export const TABLE_RULE_EXPECTED =
  'expected last-writer-wins, source-priority or { function: schema.name } (a resolution function)';

const tableSettingsSchema = z.strictObject({
  table: z
    .string()
    .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'expected table or schema.table')
    .optional()
    .describe("Target table, `table` or `schema.table`. Default: the topic's last dot-separated part."),
  history: z.boolean().optional().describe('Append every change to <table>_history. Default: `history`.'),
  merge: z.boolean().optional().describe('Field-level merge of updates. Default: `merge`.'),
  conflictRule: z
    .union([z.enum(CONFLICT_RULES as [ConflictRule, ...ConflictRule[]]), functionRuleSchema], {
      error: TABLE_RULE_EXPECTED,
    })
    .optional()
    .describe(
      "Two-way sync: this table's conflict rule: last-writer-wins, source-priority, or " +
        '`{ function: schema.name }`, a function of the target database deciding between both versions ' +
        '(docs/two-way-sync.md). Default: `sync.rule`.',
    ),
});

const siteId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected a site id: 1 to 64 letters, digits, _, . or -');

/**
 * Two-way sync (docs/two-way-sync.md): the sink applies the peer site's changes to this site's
 * database and resolves conflicts with the rows' last writers.
 */
const syncSchema = z
  .strictObject({
    site: siteId.describe(
      "This target database's site id: the last writer of rows written here by anyone but the sink. Required.",
    ),
    peerSite: siteId.describe('The site whose changes the topics carry (the other database). Required.'),
    rule: z
      .enum(CONFLICT_RULES as [ConflictRule, ...ConflictRule[]])
      .default('last-writer-wins')
      .describe(
        'last-writer-wins: the later commit timestamp wins, the greater site id at the same millisecond ' +
          '(needs track_commit_timestamp = on in the target). source-priority: changes written at ' +
          "`prioritySite` win over the other site's. Default last-writer-wins.",
      ),
    prioritySite: siteId
      .optional()
      .describe(
        'source-priority: the site whose changes win; `site` or `peerSite`. Required by source-priority.',
      ),
    tombstoneRetentionMs: z
      .number()
      .int()
      .min(60_000)
      .optional()
      .describe(
        'Remove tombstones (keys deleted on either side) from sluice_sync_rows once their deletion is older ' +
          'than this, checked every tenth of it (1 s to 10 min); an older change of such a key arriving later ' +
          '(a replay from further back) would bring the row back. At least 60000. Default: kept forever.',
      ),
  })
  .superRefine((sync, ctx) => {
    if (sync.site === sync.peerSite)
      ctx.addIssue({ code: 'custom', path: ['peerSite'], message: 'must differ from site' });
    if (sync.rule === 'source-priority' && sync.prioritySite === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['prioritySite'],
        message: 'required by rule source-priority: the site whose changes win',
      });
    if (
      sync.prioritySite !== undefined &&
      sync.prioritySite !== sync.site &&
      sync.prioritySite !== sync.peerSite
    )
      ctx.addIssue({
        code: 'custom',
        path: ['prioritySite'],
        message: `must be site (${sync.site}) or peerSite (${sync.peerSite})`,
      });
  });

/**
 * The sink-postgres connector's own settings (the shared kafka/registry/http/logging/tracing
 * tail is added by its definition): what to consume, where the target database is, how tables are
 * created and evolved, conflict rules and runtime tuning. Its delivery is its own: each batch and its
 * offsets in one target transaction.
 */
export const sinkPostgresSettings = {
  group: z
    .string()
    .min(1)
    .default('sluice-sink-postgres')
    .describe(
      'Consumer group; names the dead-letter topic <group>.dlq and the offsets rows. Default sluice-sink-postgres.',
    ),
  topics: z
    .array(z.string().min(1))
    .min(1)
    .describe('Topics to consume: CDC topics (Debezium envelope) or unwrapped Avro rows. Required.'),
  target: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').describe('Target Postgres host. Default 127.0.0.1.'),
      port: wholeNumber(1).default(5433).describe('Target Postgres port. Default 5433 (the local stack).'),
      user: z
        .string()
        .min(1)
        .default('postgres')
        .describe('A role that can create tables in `schema`. Default postgres.'),
      password: z.string().default('postgres').describe('Use ${ENV_VAR} interpolation. Default postgres.'),
      database: z.string().min(1).default('sink').describe('Target database. Default sink.'),
      connectTimeoutMs: wholeNumber(1).default(10_000).describe('Connection timeout. Default 10000.'),
      ssl: postgresSslSchema.describe('TLS to the target (libpq sslmode semantics). Default: plain TCP.'),
      schema: identifier.default('public').describe('Schema of the target tables. Default public.'),
      bookkeepingSchema: identifier
        .default('public')
        .describe(
          "Schema of Sluice's own tables (sluice_sink_offsets, sluice_conflicts, sluice_deletions, " +
            'sluice_schema_migrations). Default public.',
        ),
      autoCreate: z
        .boolean()
        .default(true)
        .describe('Create a missing target table from the schema. Default true.'),
      autoEvolve: z
        .boolean()
        .default(true)
        .describe('Add a nullable column for a new field (never drops or alters one). Default true.'),
      replicationOrigin: z
        .union([z.boolean(), z.string().min(1).max(500)])
        .default(false)
        .describe(
          'Write with a Postgres replication origin, so the changes the sink writes carry it and a ' +
            'source-postgres on this database with events.skipOrigins leaves them out (two-way sync, docs/two-way-sync.md). true: named sluice_<group> (other characters than letters, digits and _ as _); a string: that name. Each connection writing at once uses one origin: <name>, <name>#1, ... Needs a superuser or EXECUTE on the pg_replication_origin_* functions. Default false.',
        ),
      maxCommitAttempts: positive()
        .default(5)
        .describe(
          'Attempts of a batch transaction the database cut off (connection lost, deadlock). Default 5.',
        ),
    })
    .prefault({})
    .describe('The target database.'),
  conflicts: z
    .enum(['lww', 'none'])
    .default('lww')
    .describe(
      'lww: last writer wins by source position (LSN, then source ts_ms); older changes never ' +
        'overwrite newer rows and are recorded in sluice_conflicts. none: apply in consumption order. Default lww.',
    ),
  sync: syncSchema
    .optional()
    .describe(
      'Two-way sync: conflict resolution against local writes, with the last writer of every row kept in ' +
        'sluice_sync_rows (replaces `conflicts`; needs target.replicationOrigin). Default: off (one-way).',
    ),
  history: z
    .boolean()
    .default(false)
    .describe('Default for every table: append each change to <table>_history. Default false.'),
  merge: z
    .boolean()
    .default(false)
    .describe(
      'Default for every table: an update with a full `before` writes only the columns it changed. Default false.',
    ),
  tables: z
    .record(z.string(), tableSettingsSchema)
    .default({})
    .describe('Per-topic settings, keyed by topic name. Default none.'),
  runtime: consumerRuntimeSettings({
    failure: 'flat',
    transactions: false,
    // A batch's dead letters are produced by the sink's own delivery, in requests bounded by bytes.
    batchesOutputs: false,
    meaning: {
      fromBeginning: 'Where a partition without a stored offset starts',
      keysPerPartition: 'Keys of one partition decoded at once',
      retry: 'Retries of retriable failures (registry unreachable). Default the runtime policy (5 attempts).',
      shutdownTimeoutMs: 'SIGTERM: time to write and commit in-flight records with their offsets',
    },
  }),
  liveness: livenessConfigSchema,
};
