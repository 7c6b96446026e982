import { z } from 'zod';
import { consumerRuntimeSettings } from '@sluice/connect';
import { livenessConfigSchema } from '@sluice/observability';
import { httpDestinationConfigSchema } from '../config/http-destination-config';

const format = (what: string) =>
  z
    .enum(['avro', 'json', 'string', 'bytes'])
    .default('avro')
    .describe(
      `How record ${what}s are read: avro (Confluent framing, schema from the registry), json, string (UTF-8) ` +
        'or bytes (base64 in JSON bodies). Default avro.',
    );

/**
 * The sink-http connector's own settings (the shared kafka/registry/http/logging/tracing
 * tail is added by its definition). Delivery is always at-least-once: the offset is committed only
 * after every destination answered 2xx or the record was dead-lettered.
 */
export const sinkHttpSettings = {
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
  runtime: consumerRuntimeSettings({
    failure: 'nested',
    transactions: false,
    defaults: { keysPerPartition: 16, maxBatchRecords: 100 },
    meaning: {
      keysPerPartition: 'Keys of one partition with a request in flight at once',
      maxBatchRecords:
        "Dead letters per produce request (a sink produces nothing else). Each carries the error and its stack in headers (a few KB), so 100 stays well under the broker's 1 MB message.max.bytes",
      retry:
        'Retries of retriable trouble outside HTTP (e.g. the schema registry unreachable). HTTP retries are ' +
        'per destination (destinations[].retry). Default the runtime policy (5 attempts).',
      shutdownTimeoutMs:
        'SIGTERM: time to finish in-flight requests and commit. Records still waiting are redelivered (same idempotency keys) after the restart',
    },
  }),
  liveness: livenessConfigSchema,
};
