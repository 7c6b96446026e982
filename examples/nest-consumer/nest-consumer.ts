// Starts the example as a hybrid Nest app: HTTP (Fastify) plus the Sluice transport.
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { SluiceTransport, type SluiceTransportOptions } from '@sluice/stream';
import { type NestConsumerConfig } from './nest-consumer-config';
import { OrdersModule } from './orders.module';

export async function startNestConsumer(
  config: NestConsumerConfig,
): Promise<{ app: NestFastifyApplication; transport: SluiceTransport }> {
  const app = await NestFactory.create<NestFastifyApplication>(
    OrdersModule.forRoot({ totalsTopic: config.totalsTopic }),
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  const transport = new SluiceTransport({
    kafka: config.kafka,
    runtime: config.runtime as SluiceTransportOptions['runtime'],
    source: 'runtime',
    decoder: new RecordDecoder(new ConfluentSchemaRegistryClient({ url: config.registryUrl })),
    topicOf: (pattern) => (pattern === 'orders' ? config.ordersTopic : pattern),
  });
  app.connectMicroservice({ strategy: transport });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return { app, transport };
}
