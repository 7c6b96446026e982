// Span names and attribute keys Sluice writes, in one place (docs/observability.md lists them).
// Messaging and database keys follow the OpenTelemetry semantic conventions; they are still
// "incubating" there, so they are spelled here instead of imported from the incubating entry point
// (which may change between releases).

export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
export const MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
export const MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
export const MESSAGING_KAFKA_MESSAGE_TOMBSTONE = 'messaging.kafka.message.tombstone';
export const DB_SYSTEM_NAME = 'db.system.name';
export const DB_NAMESPACE = 'db.namespace';
export const DB_OPERATION_NAME = 'db.operation.name';
export const DB_OPERATION_BATCH_SIZE = 'db.operation.batch.size';

/** Sluice's own attributes. */
export const SLUICE_OUTCOME = 'sluice.record.outcome';
export const SLUICE_ATTEMPTS = 'sluice.record.attempts';
export const SLUICE_TX_ID = 'sluice.postgres.tx_id';
export const SLUICE_LSN = 'sluice.postgres.lsn';

/** W3C trace context headers carried in Kafka records. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';
/**
 * The source transaction's commit time (epoch ms, decimal text), set by the CDC source on every
 * event and passed on by the transformer: each stage measures end-to-end latency against it.
 */
export const SOURCE_COMMIT_TS_HEADER = 'sluice.source.ts';
