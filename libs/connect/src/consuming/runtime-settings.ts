import { z } from 'zod';
import { wholeNumberOr } from '@sluice/config';
import { parseStreamRuntimeConfig, retryPolicySchema, type StreamRuntimeConfig } from '@sluice/stream';

/** The stream runtime's own defaults, read from its schema so that no connector restates them. */
const RUNTIME = parseStreamRuntimeConfig({ group: 'defaults', topics: ['defaults'] }, 'runtime defaults');

export interface ConsumerSettingsOptions {
  /**
   * Where `retry` and `onKeyFailure` are set: under `runtime.failure`, directly under `runtime`, or
   * not here at all (a transformer's pipeline file carries them).
   */
  readonly failure: 'nested' | 'flat' | 'none';
  /** Whether the connector writes in Kafka transactions (then `transactionTimeoutMs` applies). */
  readonly transactions: boolean;
  /**
   * Whether `output.maxBatchRecords` applies: false for a sink that produces its dead letters in
   * its own delivery. Default true.
   */
  readonly batchesOutputs?: boolean;
  /** Whether the connector may keep state stores on disk (then `stateDir` applies). Default false. */
  readonly stateStores?: boolean;
  /** Where this connector's defaults differ from the runtime's. */
  readonly defaults?: { readonly keysPerPartition?: number; readonly maxBatchRecords?: number };
  /** What a setting means for this connector, where the runtime's words are not enough. */
  readonly meaning?: {
    readonly fromBeginning?: string;
    readonly keysPerPartition?: string;
    readonly maxBatchRecords?: string;
    readonly retry?: string;
    readonly shutdownTimeoutMs?: string;
  };
}

const count = wholeNumberOr;

/**
 * The `runtime:` settings of a consuming connector (docs/stream-runtime.md): one spec for every
 * connector on the stream runtime, each default taken from the runtime unless the connector names
 * its own. The group, topics and delivery mode come from the connector's other settings.
 */
export function consumerRuntimeSettings(
  options: ConsumerSettingsOptions,
): z.ZodType<ConsumerRuntimeSettings> {
  const keysPerPartition = options.defaults?.keysPerPartition ?? RUNTIME.concurrency.keysPerPartition;
  const maxBatchRecords = options.defaults?.maxBatchRecords ?? RUNTIME.output.maxBatchRecords;
  const meaning = options.meaning ?? {};
  const retry = retryPolicySchema
    .optional()
    .describe(
      meaning.retry ?? 'Retries in place of retriable errors. Default the runtime policy (5 attempts).',
    );
  const onKeyFailure = z
    .enum(['skip', 'park'])
    .default(RUNTIME.failure.onKeyFailure)
    .describe(
      "After a key's record is dead-lettered: park = later records of the key follow it into the DLQ " +
        `until redriven (order per key); skip = they go on. Default ${RUNTIME.failure.onKeyFailure}.`,
    );
  const failure = { retry, onKeyFailure };
  const settings = z
    .strictObject({
      fromBeginning: z
        .boolean()
        .default(RUNTIME.fromBeginning)
        .describe(
          `${meaning.fromBeginning ?? 'Where a group without committed offsets starts'}: true = earliest. ` +
            `Default ${RUNTIME.fromBeginning}.`,
        ),
      concurrency: z
        .strictObject({
          partitions: count(1, RUNTIME.concurrency.partitions).describe(
            `Partitions processed at once. Default ${RUNTIME.concurrency.partitions}.`,
          ),
          keysPerPartition: count(1, keysPerPartition).describe(
            `${meaning.keysPerPartition ?? 'Keys of one partition in flight at once'} (one key always in order). ` +
              `Default ${keysPerPartition}.`,
          ),
          maxBufferedPerPartition: count(1, RUNTIME.concurrency.maxBufferedPerPartition).describe(
            'Accepted, unfinished records per partition: bounds memory on any backlog. ' +
              `Default ${RUNTIME.concurrency.maxBufferedPerPartition}.`,
          ),
        })
        .prefault({})
        .describe('How much runs at once.'),
      ...(options.failure === 'nested'
        ? { failure: z.strictObject(failure).prefault({}).describe('What happens to a record that fails.') }
        : options.failure === 'flat'
          ? failure
          : {}),
      ...(options.batchesOutputs === false
        ? {}
        : {
            output: z
              .strictObject({
                maxBatchRecords: count(1, maxBatchRecords).describe(
                  `${meaning.maxBatchRecords ?? 'Outputs per produce request'}. Default ${maxBatchRecords}.`,
                ),
              })
              .prefault({}),
          }),
      ...(options.transactions
        ? {
            transactionTimeoutMs: count(1, RUNTIME.transactionTimeoutMs).describe(
              "exactly-once transaction timeout; at most the broker's transaction.max.timeout.ms. " +
                `Default ${RUNTIME.transactionTimeoutMs}.`,
            ),
          }
        : {}),
      sessionTimeoutMs: count(1, RUNTIME.sessionTimeoutMs).describe(
        'Consumer group session timeout: how long a member that died without leaving keeps its partitions. ' +
          `Default ${RUNTIME.sessionTimeoutMs}.`,
      ),
      heartbeatIntervalMs: count(1, RUNTIME.heartbeatIntervalMs).describe(
        `Consumer heartbeat interval. Default ${RUNTIME.heartbeatIntervalMs}.`,
      ),
      fetchMaxWaitMs: count(1, RUNTIME.fetchMaxWaitMs).describe(
        'Longest a fetch waits at the broker for records (it returns as soon as any arrive; a stop does ' +
          `not wait for it). Default ${RUNTIME.fetchMaxWaitMs}.`,
      ),
      commitIntervalMs: count(0, RUNTIME.commitIntervalMs).describe(
        'Least time from a batch being fetched to the next fetch: under light load records gather into fewer, ' +
          'larger batches (fewer transactions or commits, less CPU per record) for up to this much latency. ' +
          `Under load nothing waits. Default ${RUNTIME.commitIntervalMs}.`,
      ),
      revokeTimeoutMs: count(0, RUNTIME.revokeTimeoutMs).describe(
        `Time running records get when their partition is taken away. Default ${RUNTIME.revokeTimeoutMs}.`,
      ),
      shutdownTimeoutMs: count(0, RUNTIME.shutdownTimeoutMs).describe(
        `${meaning.shutdownTimeoutMs ?? 'SIGTERM: time to drain in-flight records and commit'}. ` +
          `Default ${RUNTIME.shutdownTimeoutMs}.`,
      ),
      ...(options.stateStores
        ? {
            stateDir: z
              .string()
              .min(1)
              .optional()
              .describe(
                'Where state stores kept on disk (storage: disk) live: <stateDir>/<group>/<topic>-<partition>/, ' +
                  'rebuilt from their changelogs on assignment, removed on revocation; one per process on a ' +
                  'machine (locked). Default <os tmpdir>/sluice-state.',
              ),
            standbyReplicas: z
              .boolean()
              .optional()
              .describe(
                'Standby replicas: keep warm copies of the state stores of the partitions other members own ' +
                  '(following their changelogs), so a rebalance or failover restores only what a copy has not ' +
                  'seen. Costs a copy of that state here. Default false.',
              ),
          }
        : {}),
    })
    .prefault({});
  // One output type for every variant: the connector reads what its variant has.
  return settings as unknown as z.ZodType<ConsumerRuntimeSettings>;
}

/** Settings as any variant of `consumerRuntimeSettings` gives them. */
export interface ConsumerRuntimeSettings {
  readonly fromBeginning: boolean;
  readonly concurrency: StreamRuntimeConfig['concurrency'];
  readonly output?: StreamRuntimeConfig['output'];
  readonly failure?: { readonly retry?: unknown; readonly onKeyFailure?: 'skip' | 'park' };
  readonly retry?: unknown;
  readonly onKeyFailure?: 'skip' | 'park';
  readonly transactionTimeoutMs?: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly fetchMaxWaitMs: number;
  readonly commitIntervalMs: number;
  readonly revokeTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly stateDir?: string;
  readonly standbyReplicas?: boolean;
}

/**
 * The stream runtime configuration of a consuming connector: its `runtime:` settings with the group,
 * topics and delivery its other settings decide. `failure` given here (a pipeline's) wins.
 */
export function streamRuntimeConfigOf(
  settings: ConsumerRuntimeSettings,
  of: {
    readonly group: string;
    readonly topics: readonly string[];
    readonly delivery: StreamRuntimeConfig['delivery'];
    readonly failure?: { readonly retry?: unknown; readonly onKeyFailure?: 'skip' | 'park' };
  },
): StreamRuntimeConfig {
  const { failure: nested, retry, onKeyFailure, ...rest } = settings;
  const failure = of.failure ?? nested ?? { retry, onKeyFailure };
  return parseStreamRuntimeConfig(
    {
      ...rest,
      group: of.group,
      topics: [...of.topics],
      delivery: of.delivery,
      failure: {
        ...(failure.retry !== undefined ? { retry: failure.retry } : {}),
        ...(failure.onKeyFailure !== undefined ? { onKeyFailure: failure.onKeyFailure } : {}),
      },
    },
    'runtime',
  );
}

/** Whether a key whose record was dead-lettered is parked (its later records follow it into the DLQ). */
export function parksKeys(settings: ConsumerRuntimeSettings): boolean {
  return (settings.failure?.onKeyFailure ?? settings.onKeyFailure ?? RUNTIME.failure.onKeyFailure) === 'park';
}
