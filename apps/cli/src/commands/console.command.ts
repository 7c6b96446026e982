import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command } from 'commander';
import { envString, parseConfig, parseYaml } from '@sluice/config';
import { connectorsFitting } from '@sluice/connectors';
import { type ConsoleConfig, consoleConfigSchema, createConsoleApp } from '@sluice/console';
import { ConfigError } from '@sluice/errors';
import { type CliContext } from '../cli-context';
import { cliConnections, type ConnectionFlags, connectionOptions } from '../cli-connections';
import { httpUrl, UsageError, wholeNumberArg } from '../cli-errors';

interface ConsoleFlags extends ConnectionFlags {
  apps: string[];
  appConfig: string[];
  host: string;
  port: number;
  appToken?: string;
  token?: string;
  jaeger?: string;
  prometheus?: string;
  refreshMs: number;
}

/** The --apps values: URLs, comma-separated or repeated. */
function appUrls(value: string, previous: string[]): string[] {
  const urls = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (urls.length === 0)
    throw new UsageError(`--apps expects app URLs such as http://127.0.0.1:8102, got '${value}'`);
  return [...previous, ...urls.map(httpUrl('--apps'))];
}

/** The --app-config values: files, comma-separated or repeated. */
function appConfigFiles(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

/**
 * Where an app answers, read from its configuration file as the app reads it: the connector is
 * the one whose settings the file fits, its `http` section (the app's default port when unset)
 * gives the address and the management token; the connector's name is the app's, which its traces
 * carry as their service name in Jaeger.
 */
export function appFromConfigFile(file: string): { url: string; token?: string; service: string } {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`--app-config: no such file ${path}`);
  const doc = parseYaml(readFileSync(path, 'utf8'), path);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ConfigError(`${path}: expected an app's configuration (a YAML map)`, path);
  const fitting = connectorsFitting(doc as Record<string, unknown>);
  if (fitting.length !== 1)
    throw new ConfigError(
      `${path}: not the configuration of one Sluice app (its settings fit ${
        fitting.map((c) => c.name).join(', ') || 'none'
      })`,
      path,
    );
  const config = parseConfig(fitting[0]!.configSchema, doc, { source: path }) as {
    http: { host: string; port: number; token?: string };
  };
  const host = ['0.0.0.0', '::'].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`,
    ...(config.http.token ? { token: config.http.token } : {}),
    service: fitting[0]!.name,
  };
}

/**
 * `sluice console --apps <urls>`: the web console in the foreground (port 8100), over the running
 * apps' management APIs, the Kafka and registry of the connection flags (docs/console.md).
 */
export function registerConsoleCommand(program: Command, ctx: CliContext): void {
  connectionOptions(
    program
      .command('console')
      .description(
        'the web console (pipeline map, connectors, dead letters, topics, schemas, replay) over running apps; ' +
          'SIGINT/SIGTERM stop it',
      )
      .option('-a, --apps <urls>', "the apps' HTTP addresses, comma-separated or repeated", appUrls, [])
      .option(
        '--app-config <files>',
        "the apps' configuration files (their http section gives the address and token), comma-separated or repeated",
        appConfigFiles,
        [],
      )
      .option('--host <host>', 'address to listen on (loopback only without --token)', '127.0.0.1')
      .option(
        '-p, --port <port>',
        'port to listen on (0: a free one)',
        wholeNumberArg('--port', 0, 65535),
        8100,
      )
      .option(
        '--app-token <token>',
        "the apps' management token for pause, resume and restart (default: SLUICE_MANAGEMENT_TOKEN)",
      )
      .option(
        '--token <token>',
        "the console's own bearer token for its mutating calls (default: none, loopback)",
      )
      .option('--jaeger <url>', 'Jaeger UI, for trace links', httpUrl('--jaeger'))
      .option('--prometheus <url>', 'Prometheus UI, for metrics links', httpUrl('--prometheus'))
      .option(
        '--refresh-ms <ms>',
        'how often the apps are read and browsers updated',
        wholeNumberArg('--refresh-ms', 250, 60_000),
        2000,
      ),
    { kafka: true, registry: true },
  ).action(async (flags: ConsoleFlags) => {
    const { kafka, registry } = cliConnections(flags, 'sluice-console');
    const appToken = flags.appToken ?? (envString('SLUICE_MANAGEMENT_TOKEN', '') || undefined);
    const config: ConsoleConfig = parseConfig(
      consoleConfigSchema,
      {
        apps: [
          ...flags.apps.map((url) => ({ url, ...(appToken ? { token: appToken } : {}) })),
          ...flags.appConfig.map((file) => {
            const app = appFromConfigFile(file);
            const token = app.token ?? appToken;
            return { url: app.url, service: app.service, ...(token ? { token } : {}) };
          }),
        ],
        kafka,
        registry,
        http: { host: flags.host, port: flags.port, ...(flags.token ? { token: flags.token } : {}) },
        links: {
          ...(flags.jaeger ? { jaeger: flags.jaeger } : {}),
          ...(flags.prometheus ? { prometheus: flags.prometheus } : {}),
        },
        refreshMs: flags.refreshMs,
        logging: { level: 'warn' },
      },
      { source: 'sluice console flags', env: {} },
    );
    const app = await createConsoleApp(config);
    ctx.out(
      `console: ${app.url} (${config.apps.length} app(s): ${config.apps.map((a) => a.url).join(', ') || 'none'})`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await app.close();
  });
}
