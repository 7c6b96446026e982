import { type Consumer, type ConsumerConfig, type Kafka } from 'kafkajs';

export interface ConsumerOptions {
  groupId: string;
  /**
   * How long the broker may hold a fetch that has no records yet, in ms. Default 500 (the Java
   * consumer's `fetch.max.wait.ms`; kafkajs's own is 5 s). A stop does not wait for the fetch in
   * flight (patches/README.md). Records still come back as soon as they are written; a lower wait
   * only adds empty fetches on an idle topic.
   */
  fetchMaxWaitMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Upper bound of one partition's data in a fetch, in bytes. Default: kafkajs's (1 MiB). */
  maxBytesPerPartition?: number;
  /**
   * Asked after a crash kafkajs would retry: false keeps it from restarting the consumer (its owner
   * is stopping, and a consumer restarted behind a stop would rejoin the group with nobody to stop
   * it). Default: always restart.
   */
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

/** The fetch wait of every Sluice consumer unless its caller says otherwise. */
export const DEFAULT_FETCH_MAX_WAIT_MS = 500;

/**
 * kafkajs consumer settings for Sluice's consumers. Separate from `createConsumer` so the choices
 * can be checked without a broker; the caller's options are never mutated.
 */
export function consumerConfig(options: ConsumerOptions): ConsumerConfig {
  return {
    groupId: options.groupId,
    // Only committed records: every Sluice producer writing to a topic another part reads is
    // transactional, and aborted records must never reach a step, a sink or a state.
    readUncommitted: false,
    // Topics are provisioned declaratively (TopicProvisioner): a consumer naming a topic that does
    // not exist is a mistake to report, not a topic to create with the broker's defaults.
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.fetchMaxWaitMs ?? DEFAULT_FETCH_MAX_WAIT_MS,
    ...(options.sessionTimeoutMs !== undefined && { sessionTimeout: options.sessionTimeoutMs }),
    ...(options.heartbeatIntervalMs !== undefined && { heartbeatInterval: options.heartbeatIntervalMs }),
    ...(options.maxBytesPerPartition !== undefined && { maxBytesPerPartition: options.maxBytesPerPartition }),
    // kafkajs's consumer default is { retries: 5 }: a retry option replaces it whole, so it says so again.
    ...(options.restartOnFailure !== undefined && {
      retry: { retries: 5, restartOnFailure: options.restartOnFailure },
    }),
  };
}

/**
 * A consumer that reads committed records only, never creates topics, and stops within its fetch
 * wait. Once its owner stops or disconnects it, kafkajs restarts it no more after a crash: the crash
 * handler schedules its restart only after its own disconnect, so a stop meanwhile ran before
 * there was a restart to cancel, and the consumer came back behind it (until the owner runs it again).
 */
export function createConsumer(kafka: Kafka, options: ConsumerOptions): Consumer {
  let stoppedByOwner = false;
  const consumer = kafka.consumer(
    consumerConfig({
      ...options,
      restartOnFailure: async (error) =>
        !stoppedByOwner && (options.restartOnFailure ? await options.restartOnFailure(error) : true),
    }),
  );
  // kafkajs's crash handler calls its own stop and disconnect, not these: only the owner's count.
  const { run, stop, disconnect } = consumer;
  consumer.run = (config) => {
    stoppedByOwner = false;
    return run.call(consumer, config);
  };
  consumer.stop = () => {
    stoppedByOwner = true;
    return stop.call(consumer);
  };
  consumer.disconnect = () => {
    stoppedByOwner = true;
    return disconnect.call(consumer);
  };
  return consumer;
}
