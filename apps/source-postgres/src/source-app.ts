import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createKafkaClient, KafkaReachability } from '@sluice/kafka';
import { createLogger, serveApp } from '@sluice/observability';
import { PostgresSource, watchSourceMetrics } from '@sluice/postgres-cdc';
import { ConfluentSchemaRegistryClient } from '@sluice/schema';
import { type SourceAppConfig } from './config/source-app-config';
import { sourceProbes } from './http/source-probes';
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
  const logger = createLogger('source-postgres', config.logging, { secretsFrom: config });
  const source = new PostgresSource(config, {
    kafka: createKafkaClient(config.kafka),
    registry: new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: 'sluice-source-postgres',
    }),
    log: logger,
    version: sluiceVersion(),
  });
  const kafka = new KafkaReachability(config.kafka);
  const unwatchMetrics = watchSourceMetrics(source);
  const served = await serveApp({
    name: 'source-postgres',
    module: SourceModule.forSource(source, sourceProbes(source, config, kafka), config.http),
    logger,
    http: config.http,
    work: source,
    release: [() => kafka.close(), unwatchMetrics],
  });
  return { source, ...served };
}

/**
 * Sluice's version (`source.version` of events), from the package.json above the app. Read, not
 * imported: importing it made tsc copy package.json into dist/, where the CLI then found its
 * "project root" and `sluice run` saw no built app.
 */
function sluiceVersion(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'sluice' && manifest.version) return manifest.version;
    }
  }
  return 'unknown';
}
