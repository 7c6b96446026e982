/** Injection token of the kafkajs `Kafka` client: `@Inject(KAFKA_CLIENT) kafka: Kafka`. */
export const KAFKA_CLIENT = Symbol('sluice.kafka.client');
/**
 * Injection token of the connected idempotent producer, renewed after a failed send:
 * `@Inject(KAFKA_PRODUCER) producer: RenewingProducer`.
 */
export const KAFKA_PRODUCER = Symbol('sluice.kafka.producer');
/** Injection token of the module's resolved `KafkaModuleOptions`. */
export const KAFKA_MODULE_OPTIONS = Symbol('sluice.kafka.module-options');
