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
