import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type RenewingProducer } from '../producer/renewing-producer';
import { KAFKA_PRODUCER } from './kafka.tokens';

/**
 * Disconnects the module's producer when the application shuts down (`app.close()`, or SIGTERM once
 * the app called `enableShutdownHooks()`).
 *
 * `onApplicationShutdown` rather than `beforeApplicationShutdown`: Nest runs every
 * `onModuleDestroy` and `beforeApplicationShutdown` first, which is where consumers and sources stop
 * taking work and await what they already handed to the producer. Only then does the producer go,
 * so no acknowledged-upstream event is left unsent.
 */
@Injectable()
export class KafkaShutdown implements OnApplicationShutdown {
  constructor(@Inject(KAFKA_PRODUCER) private readonly producer: RenewingProducer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}
