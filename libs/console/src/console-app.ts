import { join } from 'node:path';
import { createKafkaClient, KafkaReachability } from '@sluice/kafka';
import {
  createLogger,
  httpReachable,
  type LoggerOptions,
  reachabilityProbe,
  serveApp,
  type ServedApp,
} from '@sluice/observability';
import { type ConsoleConfig } from './config/console-config';
import { DeadLetterService } from './dead-letters/dead-letter-service';
import { FleetFeed } from './fleet/fleet-feed';
import { FleetReader } from './fleet/fleet-reader';
import { ConsoleLinkBuilder } from './links/console-links';
import { ConsoleModule } from './http/console.module';
import { type ConsoleServices } from './http/console-services';
import { ReplayPlanner } from './replay/replay-planner';
import { ReplayRunner } from './replay/replay-runner';
import { SchemaBrowser } from './schemas/schema-browser';
import { TopicBrowser } from './topics/topic-browser';

export interface ConsoleAppOptions {
  /** Where the built front end is. Default dist/apps/console/public beside the compiled app. */
  readonly publicDir?: string;
  readonly logDestination?: LoggerOptions['destination'];
}

/**
 * Wires and serves the console: the fleet reader over the configured apps, read-only Kafka
 * browsing, the registry, dead letters and replay through their libraries, one Kafka admin shared
 * by them; the HTTP API and front end first, then the periodic reads of the apps.
 */
export async function createConsoleApp(
  config: ConsoleConfig,
  options: ConsoleAppOptions = {},
): Promise<ServedApp> {
  const logger = createLogger('console', config.logging, {
    secretsFrom: config,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const kafka = createKafkaClient(config.kafka);
  const admin = kafka.admin();
  let adminConnected = false;
  let connecting: Promise<void> | undefined;
  // One connect shared by concurrent first calls; a failed one is tried again by the next call.
  const connectedAdmin = async () => {
    connecting ??= admin.connect().then(
      () => {
        adminConnected = true;
      },
      (error: unknown) => {
        connecting = undefined;
        throw error;
      },
    );
    await connecting;
    return admin;
  };
  // The admin connects on first use: the console answers (and shows the apps) while Kafka is away.
  const lazyAdmin = new Proxy(admin, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'connect' || property === 'disconnect') return value;
      return async (...args: unknown[]) => {
        await connectedAdmin();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const fleet = new FleetReader(config.apps);
  const feed = new FleetFeed(fleet, config.refreshMs, logger);
  const serviceNames = new Map(
    config.apps.flatMap((a) => (a.service ? [[a.url.replace(/\/$/, ''), a.service] as const] : [])),
  );
  const replays = new ReplayRunner(kafka, lazyAdmin, config.registry, logger);
  const consoleServices: ConsoleServices = {
    fleet,
    feed,
    deadLetters: new DeadLetterService(config.kafka, config.registry, lazyAdmin, (m) => logger.warn(m)),
    topics: new TopicBrowser(kafka, lazyAdmin, config.registry),
    schemas: new SchemaBrowser(config.registry),
    replay: new ReplayPlanner(kafka, lazyAdmin),
    replays,
    publicDir: options.publicDir ?? join(__dirname, '..', '..', '..', 'apps', 'console', 'public'),
    links: new ConsoleLinkBuilder(config.links),
    serviceOf: (appUrl) => serviceNames.get(appUrl.replace(/\/$/, '')),
  };
  const reachability = new KafkaReachability(config.kafka);
  const probes = {
    live: [],
    ready: [
      reachabilityProbe('kafka', () => reachability.check()),
      reachabilityProbe(
        'registry',
        httpReachable(new URL('/subjects', config.registry.url).href, config.registry.auth),
      ),
    ],
  };
  return serveApp({
    name: 'console',
    module: ConsoleModule.forServices(consoleServices, probes, config.http.token),
    logger,
    http: config.http,
    work: { start: () => feed.start(), stop: () => feed.stop() },
    release: [
      // Re-publishes under way stop at a chunk boundary, resumable with `sluice replay --resume`.
      () => replays.close(),
      () => reachability.close(),
      async () => {
        if (adminConnected) await admin.disconnect().catch(() => undefined);
      },
    ],
  });
}
