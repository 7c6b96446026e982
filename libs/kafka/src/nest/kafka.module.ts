import {
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  Module,
  type Provider,
} from '@nestjs/common';
import { type Kafka } from 'kafkajs';
import { createKafkaClient, type KafkaClientOptions } from '../client/create-kafka-client';
import { type KafkaConfig } from '../config/kafka-config';
import { createProducer, type ProducerOptions } from '../producer/create-producer';
import { RenewingProducer } from '../producer/renewing-producer';
import { KafkaShutdown } from './kafka-shutdown';
import { KAFKA_CLIENT, KAFKA_MODULE_OPTIONS, KAFKA_PRODUCER } from './kafka.tokens';

export interface KafkaModuleOptions {
  /** Validated Kafka settings (parse them with `kafkaConfigSchema` as part of the app's config). */
  config: KafkaConfig;
  /** Log creator and error-message context for the client. */
  client?: KafkaClientOptions;
  /** Options of the shared producer (idempotent, never transactional). */
  producer?: Omit<ProducerOptions, 'transactionalId' | 'transactionTimeoutMs'>;
}

export interface KafkaModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => KafkaModuleOptions | Promise<KafkaModuleOptions>;
}

/**
 * Provides `KAFKA_CLIENT` (kafkajs `Kafka`) and `KAFKA_PRODUCER` (a `RenewingProducer`: idempotent,
 * connected before anything that injects it starts, replaced after a failed send so that the app's
 * later sends do not meet sequence numbers kafkajs rolled back) and disconnects the producer on
 * application shutdown.
 *
 * Deliberately not global: a module that produces imports it, so the dependency is visible. Import it
 * once per cluster in the app's root (or an infrastructure module that re-exports it); each
 * `forRoot` import creates its own producer.
 */
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return KafkaModule.build([], { provide: KAFKA_MODULE_OPTIONS, useValue: options });
  }

  static forRootAsync(options: KafkaModuleAsyncOptions): DynamicModule {
    return KafkaModule.build(options.imports ?? [], {
      provide: KAFKA_MODULE_OPTIONS,
      inject: options.inject ?? [],
      useFactory: options.useFactory as (
        ...args: unknown[]
      ) => KafkaModuleOptions | Promise<KafkaModuleOptions>,
    });
  }

  private static build(
    imports: NonNullable<ModuleMetadata['imports']>,
    optionsProvider: Provider,
  ): DynamicModule {
    return {
      module: KafkaModule,
      imports,
      providers: [
        optionsProvider,
        {
          provide: KAFKA_CLIENT,
          inject: [KAFKA_MODULE_OPTIONS],
          useFactory: (options: KafkaModuleOptions): Kafka =>
            createKafkaClient(options.config, options.client),
        },
        {
          provide: KAFKA_PRODUCER,
          inject: [KAFKA_CLIENT, KAFKA_MODULE_OPTIONS],
          // Connected here so an unreachable cluster fails the start-up, not the first send.
          useFactory: async (kafka: Kafka, options: KafkaModuleOptions): Promise<RenewingProducer> => {
            const producer = new RenewingProducer(() => createProducer(kafka, options.producer));
            await producer.connect();
            return producer;
          },
        },
        KafkaShutdown,
      ],
      exports: [KAFKA_CLIENT, KAFKA_PRODUCER],
    };
  }
}
