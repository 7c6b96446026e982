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

const positive = () => z.number().int().min(1);

/**
 * Runtime settings the pipeline file does not carry (it has the group, topics, delivery mode,
 * retry policy and onKeyFailure). Each one left out takes the stream runtime's default
 * (docs/stream-runtime.md), repeated here.
 */
const runtimeSettingsSchema = z
  .strictObject({
    fromBeginning: z
      .boolean()
      .optional()
      .describe('Where a group without committed offsets starts: true = earliest. Default true.'),
    concurrency: z
      .strictObject({
        partitions: positive().optional().describe('Partitions processed at once. Default 4.'),
        keysPerPartition: positive()
          .optional()
          .describe('Keys of one partition in flight at once (one key always in order). Default 1.'),
        maxBufferedPerPartition: positive()
          .optional()
          .describe('Accepted, unfinished records per partition. Default 256.'),
      })
      .optional()
      .describe('How much runs at once.'),
    output: z
      .strictObject({
        maxBatchRecords: positive().optional().describe('Outputs per produce request. Default 1000.'),
      })
      .optional(),
    transactionTimeoutMs: positive()
      .optional()
      .describe(
        "exactly-once transaction timeout; at most the broker's transaction.max.timeout.ms. Default 60000.",
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
      .describe('SIGTERM: time to drain in-flight records and commit. Default 10000.'),
  })
  .prefault({});

/**
 * The transformer app's configuration: which pipeline it runs, where Kafka and the registry are,
 * runtime tuning, the HTTP endpoint and logging. The pipeline itself (steps, topics, mode) lives in
 * its own file (docs/pipelines.md).
 */
export const transformerAppConfigSchema = z.strictObject({
  pipeline: z
    .union([z.string().min(1), z.record(z.string(), z.unknown())])
    .describe(
      'The pipeline: a YAML file path (relative to this configuration file), or the pipeline ' +
        'document inline. Required.',
    ),
  keyFormat: z
    .enum(['avro', 'bytes'])
    .default('avro')
    .describe(
      'Input keys: avro (Confluent-framed, decoded and re-encoded with the derived key schema) or bytes ' +
        '(passed through unchanged). Default avro.',
    ),
  outputTopics: z
    .strictObject({
      replicationFactor: positive()
        .optional()
        .describe("Replication factor of created output topics. Default: the input topics' own."),
    })
    .prefault({})
    .describe("Output topics are created on first use with the input topics' partition count."),
  runtime: runtimeSettingsSchema,
  kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: 'sluice-transformer' }),
  registry: schemaRegistryConfigSchema,
  http: httpConfigSchema(8102),
  liveness: livenessConfigSchema,
  logging: loggingConfigSchema,
  tracing: tracingConfigSchema,
});

export type TransformerAppConfig = z.output<typeof transformerAppConfigSchema>;
export type TransformerAppConfigInput = z.input<typeof transformerAppConfigSchema>;

export function loadTransformerAppConfig(argv: readonly string[]): TransformerAppConfig {
  return loadAppConfig(transformerAppConfigSchema, argv);
}
