import { z } from 'zod';
import { wholeNumber } from '@sluice/config';

/** Kafka's own rule for topic names (`org.apache.kafka.common.internals.Topic`). */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** Topic config names: lower case, dot-separated (`cleanup.policy`, `min.insync.replicas`). */
const CONFIG_NAME = /^[a-z][a-z0-9.]*$/;

/**
 * One topic as the deployment declares it. The provisioner creates it when missing and reports any
 * difference when it exists; it never deletes, shrinks or rewrites.
 */
export const topicSpecSchema = z.strictObject({
  name: z
    .string()
    .regex(TOPIC_NAME, 'expected 1-249 characters of a-z A-Z 0-9 . _ -')
    .refine((name) => name !== '.' && name !== '..', 'a topic cannot be named "." or ".."')
    .describe('Topic name. Required.'),
  partitions: wholeNumber(1).describe(
    'Partition count. Required: it fixes which partition each key hashes to, so it is a decision, not a default.',
  ),
  replicationFactor: wholeNumber(1).describe(
    'Copies of each partition; at most the number of brokers. Required (1 for a local stack, 3 in production).',
  ),
  configs: z
    .record(
      z.string(),
      // YAML writes `retention.ms: 604800000` as a number; Kafka compares strings.
      z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string()),
    )
    // Checked here rather than as the record's key schema, whose failure zod reports only as
    // "Invalid key in record".
    .superRefine((configs, ctx) => {
      for (const name of Object.keys(configs)) {
        if (!CONFIG_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'expected a Kafka topic config name such as retention.ms',
          });
        }
      }
    })
    .default({})
    .describe(
      'Topic-level configs (cleanup.policy, retention.ms, min.insync.replicas, ...). Default: none, the broker defaults.',
    ),
});

/** The declared topics, names unique. */
export const topicSpecsSchema = z.array(topicSpecSchema).superRefine((specs, ctx) => {
  const seen = new Set<string>();
  specs.forEach((spec, index) => {
    if (seen.has(spec.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `topic ${spec.name} is declared twice`,
      });
    }
    seen.add(spec.name);
  });
});

export type TopicSpec = z.output<typeof topicSpecSchema>;
export type TopicSpecInput = z.input<typeof topicSpecSchema>;
