// KafkaModule in a real Nest application context: the producer it provides is connected and usable,
// and closing the application disconnects it (graceful shutdown).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NestFactory } from '@nestjs/core';
import { type Admin, type Kafka } from 'kafkajs';
import {
  createKafkaClient,
  KAFKA_CLIENT,
  KAFKA_PRODUCER,
  kafkaConfigSchema,
  KafkaModule,
  ProducerUnavailableError,
  type RenewingProducer,
  TopicProvisioner,
} from '@sluice/kafka';
import { stackAddresses, uniqueName } from '@sluice/test-support';

describe('KafkaModule lifecycle', () => {
  const topic = uniqueName('it.kafka.module');
  const config = kafkaConfigSchema.parse({
    brokers: stackAddresses().kafkaBrokers,
    clientId: 'sluice-it-module',
  });
  let admin: Admin;

  before(async () => {
    admin = createKafkaClient(config).admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  });

  after(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
  });

  for (const variant of ['forRoot', 'forRootAsync'] as const) {
    it(`${variant}: provides a connected producer and disconnects it on close`, async () => {
      const module =
        variant === 'forRoot'
          ? KafkaModule.forRoot({ config })
          : KafkaModule.forRootAsync({ useFactory: async () => ({ config }) });
      const app = await NestFactory.createApplicationContext(module, { logger: false });
      const kafka = app.get<Kafka>(KAFKA_CLIENT);
      const producer = app.get<RenewingProducer>(KAFKA_PRODUCER);
      assert.ok(kafka && producer);

      const [result] = await producer.send({ topic, messages: [{ key: variant, value: 'hello' }] });
      assert.equal(result.errorCode, 0);

      await app.close();
      // Disconnected: the producer takes no more sends (the spec checks the kafkajs producer goes).
      await assert.rejects(
        producer.send({ topic, messages: [{ value: 'after close' }] }),
        ProducerUnavailableError,
      );
    });
  }
});
