import { KafkaReachability } from '@sluice/kafka';
import { createLogger, serveApp } from '@sluice/observability';
import { ConfluentSchemaRegistryClient, type SchemaRegistryClient } from '@sluice/schema';
import { type SinkHttpAppConfig } from './config/sink-http-app-config';
import { sinkHttpProbes } from './http/sink-http-probes';
import { HttpSink } from './processing/http-sink';
import { SinkHttpModule } from './sink-http.module';

export interface SinkHttpApp {
  readonly sink: HttpSink;
  /** Where the HTTP endpoints listen, e.g. http://127.0.0.1:8104. */
  readonly url: string;
  /** Stops the runtime (finish in-flight requests and commit within its budget) and the HTTP server. */
  close(): Promise<void>;
}

export interface SinkHttpAppOptions {
  /** The registry client; default a Confluent REST client from `config.registry`. */
  readonly registry?: SchemaRegistryClient;
}

/** Wires the sink from its validated configuration, starts the runtime and the HTTP endpoints. */
export async function createSinkHttpApp(
  config: SinkHttpAppConfig,
  options: SinkHttpAppOptions = {},
): Promise<SinkHttpApp> {
  // Auth tokens, passwords and signing secrets never reach a log line.
  const logger = createLogger('sink-http', config.logging, { secretsFrom: config });
  const registry =
    options.registry ??
    new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: 'sluice-sink-http',
    });
  const sink = new HttpSink(config, registry, logger);
  const kafka = new KafkaReachability(config.kafka);
  const served = await serveApp({
    name: 'sink-http',
    module: SinkHttpModule.forSink(sink, sinkHttpProbes(sink, config, kafka), config.http),
    logger,
    http: config.http,
    work: sink,
    release: [() => kafka.close()],
  });
  return { sink, ...served };
}
