import { type AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createKafkaClient } from '@sluice/kafka';
import { createLogger, NestPinoLogger } from '@sluice/observability';
import { PostgresSource } from '@sluice/postgres-cdc';
import { ConfluentSchemaRegistryClient } from '@sluice/schema';
import packageJson from '../../../package.json';
import { type SourceAppConfig } from './config/source-app-config';
import { SourceModule } from './source.module';

export interface SourceApp {
  readonly source: PostgresSource;
  /** Where the management API listens, e.g. http://127.0.0.1:8101. */
  readonly url: string;
  /** Stops the source (in-flight events acknowledged and confirmed) and the HTTP server. */
  close(): Promise<void>;
}

/** Wires the source from its configuration, starts it and its management API. */
export async function createSourceApp(config: SourceAppConfig): Promise<SourceApp> {
  const logger = createLogger('source-postgres', config.logging);
  const source = new PostgresSource(config, {
    kafka: createKafkaClient(config.kafka),
    registry: new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: 'sluice-source-postgres',
    }),
    log: logger,
    version: packageJson.version,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    SourceModule.forSource(source),
    new FastifyAdapter(),
    {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    },
  );
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  source.start();
  return {
    source,
    url: `http://${config.http.host}:${address.port}`,
    close: async () => {
      await source.stop();
      await app.close();
    },
  };
}
