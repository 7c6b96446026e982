import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type z } from 'zod';
import { configFileFromArgs, loadAppConfig, warnUnverifiedTls } from '@sluice/config';
import { checkKafkaTls, KafkaReachability } from '@sluice/kafka';
import {
  createLogger,
  httpReachable,
  type LoggerOptions,
  reachabilityProbe,
  runService,
  serveApp,
} from '@sluice/observability';
import { ConfluentSchemaRegistryClient, type SchemaRegistryClient } from '@sluice/schema';
import {
  type ConnectorConfig,
  type ConnectorDefinition,
  type RunningConnector,
} from '../definition/connector-definition';
import { ConnectorModule } from './connector.module';

export interface ConnectorApp<R extends RunningConnector = RunningConnector> {
  readonly connector: R;
  /** Where the HTTP endpoints listen, e.g. http://127.0.0.1:8104. */
  readonly url: string;
  /** Stops the connector (drain and commit within its budget), releases what it used, closes HTTP. */
  close(): Promise<void>;
}

export interface ConnectorAppOptions {
  /** The registry client; default a Confluent REST client from `config.registry`. */
  readonly registry?: SchemaRegistryClient;
  /** Where relative paths of the configuration are resolved. Default the working directory. */
  readonly baseDir?: string;
  /** Where log lines go. Default stdout. */
  readonly logDestination?: LoggerOptions['destination'];
}

/**
 * Wires a connector from its validated configuration and serves it: the logger (the secrets of the
 * configuration and of what it names, `definition.secrets`, never logged), one TLS handshake with Kafka when TLS is on (`checkKafkaTls`), the registry client, the probes of Kafka and the registry, the connector's own parts,
 * then the HTTP API first and the work second (probes and /status answer while it starts).
 */
export async function createConnectorApp<R extends RunningConnector>(
  definition: ConnectorDefinition,
  config: ConnectorConfig<z.core.$ZodLooseShape>,
  options: ConnectorAppOptions = {},
): Promise<ConnectorApp<R>> {
  const { name } = definition;
  const baseDir = options.baseDir ?? process.cwd();
  const logger = createLogger(name, config.logging, {
    secretsFrom: config,
    moreSecrets: definition.secrets?.(config as never, { baseDir }) ?? [],
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  warnUnverifiedTls(config, logger);
  // A broker certificate that does not verify is one clear error now, rather than kafkajs's retried
  // handshakes (each logged) before the same error; a broker that does not answer is retried as usual.
  await checkKafkaTls(config.kafka);
  const registry =
    options.registry ??
    new ConfluentSchemaRegistryClient({
      url: config.registry.url,
      auth: config.registry.auth,
      retries: config.registry.retries,
      clientId: `sluice-${name}`,
    });
  const kafka = new KafkaReachability(config.kafka);
  const connector = (await definition.create(config as never, {
    logger,
    registry,
    baseDir,
    version: sluiceVersion(),
    dependencies: {
      kafka: reachabilityProbe('kafka', () => kafka.check()),
      registry: reachabilityProbe(
        'registry',
        httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
      ),
    },
  })) as R;
  const served = await serveApp({
    name,
    module: ConnectorModule.forConnector(connector, config.http),
    logger,
    http: config.http,
    work: connector,
    release: [...(connector.release ?? []), () => kafka.close()],
    ...(connector.http?.routes ? { routes: connector.http.routes } : {}),
    ...(connector.http?.requestTimeoutMs !== undefined
      ? { requestTimeoutMs: connector.http.requestTimeoutMs }
      : {}),
  });
  return { connector, ...served };
}

/**
 * A connector app's main: reads the configuration (`--config`/SLUICE_CONFIG; a relative path in it
 * is resolved from its folder), serves the connector until SIGTERM, then drains and exits.
 */
export function runConnector(
  definition: ConnectorDefinition,
  options: { readonly shutdown?: () => Promise<void> } = {},
): void {
  const baseDir = () => {
    const file = configFileFromArgs(process.argv);
    return file === undefined ? process.cwd() : dirname(resolve(file));
  };
  runService({
    name: definition.name,
    loadConfig: () => loadAppConfig(definition.configSchema, process.argv),
    start: async (config) => {
      const app = await createConnectorApp(definition, config as ConnectorConfig<never>, {
        baseDir: baseDir(),
      });
      return { close: () => app.close(), ...(app.connector.done ? { done: app.connector.done } : {}) };
    },
    ...(definition.secrets
      ? { secrets: (config) => definition.secrets!(config as never, { baseDir: baseDir() }) }
      : {}),
    ...(options.shutdown ? { shutdown: options.shutdown } : {}),
    // A consuming connector drains for runtime.shutdownTimeoutMs: the process waits that and more.
    exitDeadlineMs: (config) =>
      Math.max(
        60_000,
        ((config as { runtime?: { shutdownTimeoutMs?: number } }).runtime?.shutdownTimeoutMs ?? 0) + 30_000,
      ),
  });
}

/**
 * Sluice's version (`source.version` of events), from the package.json above this file. Read, not
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
