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
import { httpDestinationConfigSchema } from '@sluice/sink-http';
import { retryPolicySchema } from '@sluice/stream';

const positive = () => wholeNumber(1);
const format = (what: string) =>
  z
    .enum(['avro', 'json', 'string', 'bytes'])
    .default('avro')
    .describe(
      `How record ${what}s are read: avro (Confluent framing, schema from the registry), json, string (UTF-8) ` +
        'or bytes (base64 in JSON bodies). Default avro.',
    );

/**
 * Stream runtime settings (docs/stream-runtime.md). Delivery is always at-least-once: the offset
 * is committed only after every destination answered 2xx or the record was dead-lettered.
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
          .default(16)
          .describe(
            'Keys of one partition with a request in flight at once (one key always in order). Default 16.',
          ),
        maxBufferedPerPartition: positive()
          .optional()
          .describe(
            'Accepted, unfinished records per partition: bounds memory while an endpoint is slow or down. Default 256.',
          ),
      })
      .prefault({})
      .describe('How much runs at once.'),
    failure: z
      .strictObject({
        retry: retryPolicySchema
          .optional()
          .describe(
            'Retries of retriable trouble outside HTTP (e.g. the schema registry unreachable). HTTP retries ' +
              'are per destination (destinations[].retry). Default the runtime policy (5 attempts).',
          ),
        onKeyFailure: z
          .enum(['skip', 'park'])
          .optional()
          .describe(
            "After a key's record is dead-lettered: park = later records of the key follow it into the DLQ " +
              'until redriven (order per key); skip = they are delivered. Default park.',
          ),
      })
      .prefault({}),
    output: z
      .strictObject({
        maxBatchRecords: positive()
          .default(100)
          .describe(
            'Dead letters per produce request (a sink produces nothing else). Each carries the error and its ' +
              "stack in headers (a few KB), so 100 stays well under the broker's 1 MB message.max.bytes. Default 100.",
          ),
      })
      .prefault({}),
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
      .describe(
        'SIGTERM: time to finish in-flight requests and commit. Records still waiting are redelivered ' +
          '(same idempotency keys) after the restart. Default 10000.',
      ),
  })
  .prefault({});

/** The sink-http app's configuration. */
export const sinkHttpAppConfigSchema = z.strictObject({
  group: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected 1-200 characters of a-z A-Z 0-9 . _ -')
    .describe('Consumer group id; also names the dead-letter topic `<group>.dlq`. Required.'),
  topics: z
    .array(z.string().min(1))
    .min(1, 'expected at least one topic')
    .describe('Topics to consume. Required.'),
  keyFormat: format('key'),
  valueFormat: format('value'),
  tombstones: z
    .enum(['skip', 'deliver'])
    .default('skip')
    .describe(
      'Records with a null value: skip (committed, sent nowhere) or deliver (the body renders null). Default skip.',
    ),
  destinations: z
    .array(httpDestinationConfigSchema)
    .min(1, 'expected at least one destination')
    .refine((ds) => new Set(ds.map((d) => d.name)).size === ds.length, 'destination names must be unique')
    .describe(
      'Where records go: each destination has its own request templates and policy (table below). Required.',
    ),
  runtime: runtimeSettingsSchema,
  kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: 'sluice-sink-http' }),
  registry: schemaRegistryConfigSchema,
  http: httpConfigSchema(8104),
  liveness: livenessConfigSchema,
  logging: loggingConfigSchema,
  tracing: tracingConfigSchema,
});

export type SinkHttpAppConfig = z.output<typeof sinkHttpAppConfigSchema>;
export type SinkHttpAppConfigInput = z.input<typeof sinkHttpAppConfigSchema>;

export function loadSinkHttpAppConfig(argv: readonly string[]): SinkHttpAppConfig {
  return loadAppConfig(sinkHttpAppConfigSchema, argv);
}
