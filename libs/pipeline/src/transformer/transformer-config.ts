import { z } from 'zod';
import { consumerRuntimeSettings } from '@sluice/connect';
import { livenessConfigSchema } from '@sluice/observability';

/**
 * The transformer connector's own settings (the shared kafka/registry/http/logging/tracing
 * tail is added by its definition): which pipeline it runs, how keys are read, how output topics
 * are created, runtime tuning. The pipeline itself (steps, topics, group, mode, retry policy and
 * onKeyFailure) lives in its own file (docs/pipelines.md), so `runtime` carries no failure settings.
 */
export const transformerSettings = {
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
      replicationFactor: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe("Replication factor of created output topics. Default: the input topics' own."),
    })
    .prefault({})
    .describe("Output topics are created on first use with the input topics' partition count."),
  runtime: consumerRuntimeSettings({ failure: 'none', transactions: true, stateStores: true }),
  liveness: livenessConfigSchema,
};
