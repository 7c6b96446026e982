export { murmur2, toPositive } from './partitioning/murmur2';
export { partitionForKey } from './partitioning/partition-for-key';
export { murmur2Partitioner } from './partitioning/murmur2-partitioner';
export {
  kafkaConfigSchema,
  type KafkaConfig,
  type KafkaConfigInput,
  type KafkaSaslConfig,
  type KafkaTlsConfig,
  SASL_MECHANISMS,
  KAFKA_LOG_LEVELS,
} from './config/kafka-config';
export { createKafkaClient, toKafkaJsConfig, type KafkaClientOptions } from './client/create-kafka-client';
export { isPermanentKafkaFailure, kafkaFailureHint, untrustedCertificateCode } from './client/kafka-failures';
export {
  checkKafkaTls,
  KafkaTlsError,
  type KafkaTlsCheck,
  type KafkaTlsCheckOptions,
} from './client/kafka-tls-check';
export {
  connectedProducer,
  createProducer,
  initTransactions,
  producerConfig,
  type ProducerOptions,
} from './producer/create-producer';
export {
  createConsumer,
  consumerConfig,
  DEFAULT_FETCH_MAX_WAIT_MS,
  type ConsumerOptions,
} from './consumer/create-consumer';
export { dropProducer } from './producer/drop-producer';
export { splitOffsets, type SplitOffsetsTransaction } from './producer/split-offsets';
export {
  RenewingProducer,
  ProducerUnavailableError,
  type RenewingProducerOptions,
} from './producer/renewing-producer';
export { topicSpecSchema, topicSpecsSchema, type TopicSpec, type TopicSpecInput } from './topics/topic-spec';
export { diffTopic, describeDrift, type ObservedTopic, type TopicDrift } from './topics/topic-drift';
export { type ProvisioningReport, isConformant } from './topics/provisioning-report';
export { TopicProvisioner, type ProvisionOptions } from './topics/topic-provisioner';
export { readMaxMessageBytes, KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from './topics/max-message-bytes';
export { KafkaModule, type KafkaModuleOptions, type KafkaModuleAsyncOptions } from './nest/kafka.module';
export { KAFKA_CLIENT, KAFKA_PRODUCER, KAFKA_MODULE_OPTIONS } from './nest/kafka.tokens';
export { KafkaReachability } from './health/kafka-reachability';
export {
  TopicInspector,
  type TopicState,
  type PartitionState,
  type GroupLag,
  type PartitionLag,
} from './topics/topic-inspector';
export {
  type PartitionRange,
  type RangeBound,
  type RangeSpec,
  type RangeRecord,
  type KafkaRecordHeaders,
  InvalidRangeError,
} from './range/topic-range';
export {
  resolveRange,
  planRange,
  checkRangeSpec,
  type PartitionOffsets,
  type TimestampOffsets,
} from './range/range-resolution';
export {
  readTopicRange,
  readTopicToEnd,
  type TopicRangeReadOptions,
  type TopicRangeReadResult,
} from './range/topic-range-reader';
export { LATEST_INSTANT_MS, parseRangeInstant } from './range/range-instant';
export { offsetResetMetadata, offsetResetId } from './offsets/offset-reset-marker';
export { OffsetsTopic } from './offsets/offsets-topic';
