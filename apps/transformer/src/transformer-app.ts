import { KafkaReachability } from '@sluice/kafka';
import { createLogger, serveApp } from '@sluice/observability';
import { ConfluentSchemaRegistryClient, type SchemaRegistryClient } from '@sluice/schema';
import { type TransformerAppConfig } from './config/transformer-app-config';
import { pipelineFromConfig, Transformer } from './processing/transformer';
import { transformerProbes } from './http/transformer-probes';
import { TransformerModule } from './transformer.module';

export interface TransformerApp {
  readonly transformer: Transformer;
  /** Where the HTTP endpoints listen, e.g. http://127.0.0.1:8102. */
  readonly url: string;
  /** Stops the runtime (drain and commit within its shutdown budget) and the HTTP server. */
  close(): Promise<void>;
}

export interface TransformerAppOptions {
  /** Where a relative `pipeline` path is resolved: the configuration file's folder. Default cwd. */
  readonly baseDir?: string;
  /** The registry client; default a Confluent REST client from `config.registry`. */
  readonly registry?: SchemaRegistryClient;
}

/**
 * Wires the transformer from its configuration: compiles the pipeline (an invalid one throws a
 * ConfigError naming the file and YAML path before anything connects), starts the runtime and the
 * HTTP endpoints.
 */
export async function createTransformerApp(
  config: TransformerAppConfig,
  options: TransformerAppOptions = {},
): Promise<TransformerApp> {
  const pipeline = pipelineFromConfig(config, options.baseDir ?? process.cwd());
  const logger = createLogger('transformer', config.logging, { secretsFrom: config });
  const registry =
    options.registry ??
    new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: 'sluice-transformer',
    });
  const transformer = new Transformer(pipeline, config, registry, logger);
  const kafka = new KafkaReachability(config.kafka);
  const served = await serveApp({
    name: 'transformer',
    module: TransformerModule.forTransformer(
      transformer,
      transformerProbes(transformer, config, kafka),
      config.http,
    ),
    logger,
    http: config.http,
    work: transformer,
    release: [() => kafka.close()],
  });
  return { transformer, ...served };
}
