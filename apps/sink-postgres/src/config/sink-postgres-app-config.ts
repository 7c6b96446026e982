import { z } from 'zod';
import { loadAppConfig, wholeNumber } from '@sluice/config';
import { kafkaConfigSchema } from '@sluice/kafka';
import {
  httpConfigSchema,
  livenessConfigSchema,
  loggingConfigSchema,
  tracingConfigSchema,
} from '@sluice/observability';
import { schemaRegistryConfigSchema } from '@sluice/schema';
import { parseStreamRuntimeConfig, retryPolicySchema, type StreamRuntimeConfig } from '@sluice/stream';

const positive = () => z.number().int().min(1);
const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'expected a Postgres identifier (letters, digits, _ and $)');

const tableSettingsSchema = z.strictObject({
  table: z
    .string()
    .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'expected table or schema.table')
    .optional()
    .describe("Target table, `table` or `schema.table`. Default: the topic's last dot-separated part."),
  history: z.boolean().optional().describe('Append every change to <table>_history. Default: `history`.'),
  merge: z.boolean().optional().describe('Field-level merge of updates. Default: `merge`.'),
});

/**
 * The sink-postgres app's configuration: what to consume, where the target database is, how tables
 * are created and evolved, conflict rules, runtime tuning, Kafka, the registry, HTTP and logging.
 */
export const sinkPostgresAppConfigSchema = z.strictObject({
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
  runtime: z
    .strictObject({
      fromBeginning: z
        .boolean()
        .optional()
        .describe('Where a partition without a stored offset starts: true = earliest. Default true.'),
      concurrency: z
        .strictObject({
          partitions: positive().optional().describe('Partitions processed at once. Default 4.'),
          keysPerPartition: positive()
            .optional()
            .describe('Keys of one partition decoded at once (one key always in order). Default 1.'),
          maxBufferedPerPartition: positive()
            .optional()
            .describe('Accepted, unfinished records per partition. Default 256.'),
        })
        .optional(),
      retry: retryPolicySchema
        .optional()
        .describe('Retries of retriable failures (registry unreachable). Stream runtime defaults.'),
      onKeyFailure: z
        .enum(['skip', 'park'])
        .optional()
        .describe(
          "After a key's record is dead-lettered: skip (later records apply) or park (they follow it to the DLQ). Default park.",
        ),
      sessionTimeoutMs: positive()
        .optional()
        .describe(
          'Consumer group session timeout: how long a member that died without leaving keeps its partitions. Default 10000.',
        ),
      heartbeatIntervalMs: positive().optional().describe('Consumer heartbeat interval. Default 1000.'),
      revokeTimeoutMs: wholeNumber(0)
        .optional()
        .describe('Time running records get when their partition is taken away. Default 5000.'),
      shutdownTimeoutMs: wholeNumber(0)
        .optional()
        .describe('SIGTERM: time to drain and commit. Default 10000.'),
    })
    .prefault({}),
  kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: 'sluice-sink-postgres' }),
  registry: schemaRegistryConfigSchema,
  http: httpConfigSchema(8103),
  liveness: livenessConfigSchema,
  logging: loggingConfigSchema,
  tracing: tracingConfigSchema,
});

export type SinkPostgresAppConfig = z.output<typeof sinkPostgresAppConfigSchema>;
export type SinkPostgresAppConfigInput = z.input<typeof sinkPostgresAppConfigSchema>;

export function loadSinkPostgresAppConfig(argv: readonly string[]): SinkPostgresAppConfig {
  return loadAppConfig(sinkPostgresAppConfigSchema, argv);
}

/** The stream runtime settings of the sink (its delivery is the sink's own transaction). */
export function sinkRuntimeConfig(config: SinkPostgresAppConfig): StreamRuntimeConfig {
  const { retry, onKeyFailure, ...runtime } = config.runtime;
  return parseStreamRuntimeConfig(
    {
      ...runtime,
      group: config.group,
      topics: config.topics,
      failure: { ...(retry ? { retry } : {}), ...(onKeyFailure ? { onKeyFailure } : {}) },
    },
    'runtime',
  );
}
