import { KafkaReachability } from '@sluice/kafka';
import { createLogger, serveApp } from '@sluice/observability';
import { ConfluentSchemaRegistryClient, type SchemaRegistryClient } from '@sluice/schema';
import { PostgresSink } from '@sluice/sink-postgres';
import { type SinkPostgresAppConfig, sinkRuntimeConfig } from './config/sink-postgres-app-config';
import { sinkPostgresProbes } from './http/sink-postgres-probes';
import { SinkPostgresModule } from './sink-postgres.module';

export interface SinkPostgresApp {
  readonly sink: PostgresSink;
  /** Where the HTTP endpoints listen, e.g. http://127.0.0.1:8103. */
  readonly url: string;
  /** Stops the runtime (drain and commit within its shutdown budget) and the HTTP server. */
  close(): Promise<void>;
}

export interface SinkPostgresAppOptions {
  /** The registry client; default a Confluent REST client from `config.registry`. */
  readonly registry?: SchemaRegistryClient;
}

/** Wires the sink from its configuration, starts the runtime and the HTTP endpoints. */
export async function createSinkPostgresApp(
  config: SinkPostgresAppConfig,
  options: SinkPostgresAppOptions = {},
): Promise<SinkPostgresApp> {
  const logger = createLogger('sink-postgres', config.logging, { secretsFrom: config });
  const registry =
    options.registry ??
    new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: 'sluice-sink-postgres',
    });
  const { target } = config;
  const sink = new PostgresSink({
    kafka: config.kafka,
    runtime: sinkRuntimeConfig(config),
    registry,
    target: {
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: target.database,
      connectTimeoutMs: target.connectTimeoutMs,
    },
    schema: target.schema,
    bookkeepingSchema: target.bookkeepingSchema,
    autoCreate: target.autoCreate,
    autoEvolve: target.autoEvolve,
    conflicts: config.conflicts,
    history: config.history,
    merge: config.merge,
    tables: config.tables,
    maxCommitAttempts: target.maxCommitAttempts,
    stallAfterMs: config.liveness.stallAfterMs,
    logger,
  });
  const kafka = new KafkaReachability(config.kafka);
  const served = await serveApp({
    name: 'sink-postgres',
    module: SinkPostgresModule.forSink(sink, sinkPostgresProbes(sink, config, kafka), config.http),
    logger,
    http: config.http,
    work: sink,
    release: [() => kafka.close()],
  });
  return { sink, ...served };
}
