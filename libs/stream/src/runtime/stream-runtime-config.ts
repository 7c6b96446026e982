import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { retryPolicySchema } from '../failure/retry-policy';

const positive = () => z.number().int().min(1);
const millis = () => z.number().int().min(0);

/**
 * The stream runtime's settings, as they appear under a pipeline's `runtime:` in YAML. The schema
 * is the documentation: every field says its default. `group` and `topics` are required.
 */
export const streamRuntimeConfigSchema = z
  .strictObject({
    group: z
      .string()
      .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'expected 1-200 characters of a-z A-Z 0-9 . _ -')
      .describe('Consumer group id. Also names the dead-letter topic `<group>.dlq`. Required.'),
    topics: z
      .array(z.string().min(1))
      .min(1, 'expected at least one topic')
      .describe('Topics to consume. Required.'),
    fromBeginning: z
      .boolean()
      .default(true)
      .describe(
        'Where a group without committed offsets starts: true = earliest. Default true (lose nothing).',
      ),
    delivery: z
      .enum(['exactly-once', 'at-least-once'])
      .default('exactly-once')
      .describe(
        'exactly-once: outputs, dead letters and offsets in one Kafka transaction per partition batch ' +
          '(downstream must read_committed). at-least-once: idempotent producer, offsets committed after ' +
          'the outputs were acknowledged (faster; a crash may repeat a batch). Default exactly-once.',
      ),
    concurrency: z
      .strictObject({
        partitions: positive()
          .default(4)
          .describe(
            'Partitions processed at once by this instance (kafkajs partitionsConsumedConcurrently). Default 4.',
          ),
        keysPerPartition: positive()
          .default(1)
          .describe(
            'Records of different keys of one partition processed at once; one key is always in offset order. Default 1.',
          ),
        maxBufferedPerPartition: positive()
          .default(256)
          .describe(
            'Records of a partition accepted and not finished (running plus waiting behind their key); intake ' +
              'waits when reached, so memory stays flat on any backlog. At least keysPerPartition. Default 256.',
          ),
      })
      .prefault({})
      .refine((c) => c.maxBufferedPerPartition >= c.keysPerPartition, {
        path: ['maxBufferedPerPartition'],
        message: 'must be at least keysPerPartition',
      }),
    failure: z
      .strictObject({
        retry: retryPolicySchema
          .prefault({})
          .describe('Retry in place for retriable errors (see RetryPolicy).'),
        onKeyFailure: z
          .enum(['skip', 'park'])
          .default('park')
          .describe(
            'After a record is dead-lettered: skip = later records of its key go on; park = they follow it into ' +
              'the DLQ marked parked until the key is redriven, so no key applies records out of order. Default park.',
          ),
      })
      .prefault({}),
    output: z
      .strictObject({
        maxBatchRecords: positive()
          .default(1000)
          .describe(
            'Outputs collected before a produce request is sent; the rest go at the batch end. Default 1000.',
          ),
      })
      .prefault({}),
    commitIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(0)
      .describe(
        'Least time from the start of a batch to the next fetch: a batch that took less waits out the rest, so ' +
          'under light load records gather into fewer, larger batches — fewer transactions (exactly-once) or ' +
          'offset commits, less CPU per record — for up to this much latency per hop. Under load batches take ' +
          "longer than this and nothing waits. Kafka Streams' commit.interval.ms plays this part (100 under EOS). " +
          'Default 0.',
      ),
    transactionTimeoutMs: positive()
      .default(60_000)
      .describe(
        "exactly-once: broker aborts a transaction open this long. At most the broker's transaction.max.timeout.ms. Default 60000.",
      ),
    sessionTimeoutMs: positive()
      .default(10_000)
      .describe(
        'Consumer group session timeout: how long a member that died without leaving (kill -9, a lost node) keeps its partitions. Default 10000 (the broker allows 6000 and up).',
      ),
    heartbeatIntervalMs: positive().default(1_000).describe('Consumer heartbeat interval. Default 1000.'),
    fetchMaxWaitMs: positive()
      .default(500)
      .describe(
        'Longest a fetch waits at the broker for records (a fetch returns as soon as any arrive; a stop ' +
          "does not wait for it). Default 500 (the Java consumer's fetch.max.wait.ms).",
      ),
    revokeTimeoutMs: millis()
      .default(5_000)
      .describe(
        'On a rebalance, time the running records of a partition get to finish before they are abandoned ' +
          '(redone by the next owner). Below sessionTimeoutMs. Default 5000.',
      ),
    shutdownTimeoutMs: millis()
      .default(10_000)
      .describe('stop(): time to drain in-flight records and commit before giving up. Default 10000.'),
    stateDir: z
      .string()
      .min(1)
      .default(join(tmpdir(), 'sluice-state'))
      .describe(
        'Where state stores kept on disk live: <stateDir>/<group>/<topic>-<partition>/, rebuilt from their ' +
          'changelogs on assignment, removed on revocation. One per process on a machine (locked). ' +
          'Default <os tmpdir>/sluice-state.',
      ),
    standbyReplicas: z
      .boolean()
      .default(false)
      .describe(
        'Keep warm copies of the state stores of the input partitions other members own, following their ' +
          'changelogs, so a partition assigned here restores only what its copy has not seen. Default false.',
      ),
  })
  .refine((c) => c.revokeTimeoutMs < c.sessionTimeoutMs, {
    path: ['revokeTimeoutMs'],
    message: 'must be below sessionTimeoutMs',
  });

export type StreamRuntimeConfig = Readonly<z.output<typeof streamRuntimeConfigSchema>>;
export type StreamRuntimeConfigInput = z.input<typeof streamRuntimeConfigSchema>;

/** Validates runtime settings; a problem throws a ConfigError naming the YAML path under `path`. */
export function parseStreamRuntimeConfig(
  raw: unknown,
  source = 'stream runtime configuration',
): StreamRuntimeConfig {
  return parseConfig(streamRuntimeConfigSchema, raw, { source, env: {} });
}
