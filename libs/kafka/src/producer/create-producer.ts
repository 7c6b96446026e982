import { type ICustomPartitioner, type Kafka, type Producer, type ProducerConfig } from 'kafkajs';
import { murmur2Partitioner } from '../partitioning/murmur2-partitioner';

export interface ProducerOptions {
  /**
   * Makes the producer transactional (which implies idempotent). Must be stable across restarts of
   * the same logical producer: kafkajs has no KIP-447 fencing, so zombie fencing rests on the id
   * (e.g. `<app>.<topic>.<partition>`). Default: not transactional.
   */
  transactionalId?: string;
  /**
   * How long the broker waits before aborting an open transaction, in ms. Must not exceed the
   * broker's `transaction.max.timeout.ms` (15 minutes by default). Default 60000 (kafkajs's).
   */
  transactionTimeoutMs?: number;
  /** Chooses partitions. Default: `murmur2Partitioner`, the Java client's choice for keyed records. */
  partitioner?: ICustomPartitioner;
  /**
   * Attempts after the first for a retriable send failure. Default: unbounded, as the Java client's
   * idempotent producer (whose only bound is delivery.timeout.ms, which kafkajs lacks). With a bound,
   * a send that gives up leaves the outcome unknown and kafkajs rolls its sequence numbers back:
   * discard the producer (disconnect, create another) before sending again, or the broker may take
   * the next batch for a duplicate of the lost one. The same holds for any failed send (a
   * non-retriable error): a long-lived non-transactional producer is a `RenewingProducer`.
   */
  retries?: number;
}

/** First retry of a transactional producer's failed send (then doubling, as every kafkajs retry). */
export const TRANSACTIONAL_FIRST_RETRY_MS = 1;

/**
 * kafkajs producer settings for Sluice's producers. Separate from `createProducer` so the choices
 * can be checked without a broker; the caller's options are never mutated.
 */
export function producerConfig(options: ProducerOptions = {}): ProducerConfig {
  return {
    // Broker-side de-duplication of retried batches: no duplicates and no reordering per partition.
    idempotent: true,
    // The Java client allows up to 5 in flight with idempotence because it tracks every in-flight
    // batch's sequence. kafkajs keeps one sequence per partition and rolls it back on failure, and
    // serialises idempotent produce requests per broker anyway; 1 is the only value that keeps a
    // retried batch from overtaking or colliding with a later one.
    maxInFlightRequests: 1,
    createPartitioner: options.partitioner ?? murmur2Partitioner,
    // Topics are provisioned declaratively (TopicProvisioner). Auto-creation would make a topic with
    // the broker's default partition count, and keys would be hashed onto the wrong partitions.
    allowAutoTopicCreation: false,
    retry: {
      retries: options.retries ?? Number.MAX_SAFE_INTEGER,
      // A transaction's first send right after the previous commit often meets
      // CONCURRENT_TRANSACTIONS (the coordinator is still writing the commit markers). kafkajs
      // retries it like any failure, after the client's initial retry time (300 ms by default): a
      // stall every few transactions. The Java producer retries that case after 20 ms; a local
      // coordinator writes its markers in a few ms, and every hop of a pipeline pays this wait once
      // per transaction, so 1 ms (then 2, 4, …): a send + offsets + commit cycle on the local broker
      // took 6.6–7.2 ms with 5 and 4.1–4.4 ms with 1 (400 transactions in a row, same run).
      ...(options.transactionalId !== undefined && { initialRetryTime: TRANSACTIONAL_FIRST_RETRY_MS }),
    },
    ...(options.transactionalId !== undefined && { transactionalId: options.transactionalId }),
    ...(options.transactionTimeoutMs !== undefined && { transactionTimeout: options.transactionTimeoutMs }),
  };
}

/**
 * An idempotent producer (transactional when `transactionalId` is given), not yet connected. Sends
 * must use `acks: -1` (kafkajs's default); idempotence means nothing with fewer acks.
 */
export function createProducer(kafka: Kafka, options: ProducerOptions = {}): Producer {
  return kafka.producer(producerConfig(options));
}

/**
 * Initialises the transactional id of a connected transactional producer, as the Java client's
 * `initTransactions()`. kafkajs's `connect` initialises only an idempotent producer id (no
 * transactional id is sent); the transactional id is initialised by the first `transaction()`.
 * That initialisation is what fences an older producer of the id and ends the transaction it left
 * (aborted if open; if its commit is under way, once that is complete). Done here with an empty
 * transaction: its only request is InitProducerId (an abort with nothing added sends no EndTxn).
 * Afterwards nothing an older instance does can land after what the caller reads.
 */
export async function initTransactions(producer: Producer): Promise<void> {
  await (await producer.transaction()).abort();
}

/**
 * A producer from `createProducer`, connected; a transactional one has also initialised its
 * transactional id (`initTransactions`). A connect that fails half-way (the cluster connected, then
 * InitProducerId refused) leaves sockets open: the producer is disconnected before the error goes
 * on, so a caller that retries does not leak one producer per attempt.
 */
export async function connectedProducer(kafka: Kafka, options: ProducerOptions = {}): Promise<Producer> {
  const producer = createProducer(kafka, options);
  try {
    await producer.connect();
    if (options.transactionalId !== undefined) await initTransactions(producer);
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw error;
  }
  return producer;
}
