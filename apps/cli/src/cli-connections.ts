import { readFileSync } from 'node:fs';
import { type Admin } from 'kafkajs';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { envInt, parseConfig, parseYaml, unverifiedTlsSettings, unverifiedTlsWarning } from '@sluice/config';
import { connectorConfigTail } from '@sluice/connect';
import { CONNECTORS } from '@sluice/connectors';
import { ConfigError } from '@sluice/errors';
import { createKafkaClient, type KafkaConfig, kafkaConfigSchema } from '@sluice/kafka';
import { type SchemaRegistryConfig, schemaRegistryConfigSchema } from '@sluice/schema';
import { httpUrl, UsageError } from './cli-errors';

/** What a command reaches: Kafka, the schema registry, or both. */
export interface ConnectionUse {
  readonly kafka?: boolean;
  /** `named`: used only when a flag or a file names it (no local default), e.g. `schemas register`. */
  readonly registry?: boolean | 'named';
}

/** The connection flags as commander hands them to an action. */
export interface ConnectionFlags {
  /** `--config <app.yaml>`: an app's configuration, whose `kafka` and `registry` sections are used. */
  config?: string;
  /** `--kafka-config <file>`: a file of just `kafka:` and optionally `registry:`. */
  kafkaConfig?: string;
  /** `--brokers <list>`: overrides the file's brokers (its TLS and SASL kept). */
  brokers?: string;
  /** `-r, --registry <url>`: overrides the file's registry URL (its auth kept). */
  registry?: string;
}

/** Where a command connects, resolved from the flags: Kafka's and the registry's settings. */
export interface CliConnections {
  readonly kafka: KafkaConfig;
  readonly registry: SchemaRegistryConfig;
  /** Whether the registry was named (a flag or a file), rather than the local stack's by default. */
  readonly registryGiven: boolean;
}

const localBrokers = () => `127.0.0.1:${envInt('SLUICE_KAFKA_PORT', 9092)}`;
const localRegistry = () => `http://127.0.0.1:${envInt('SLUICE_REGISTRY_PORT', 8081)}`;

/**
 * Adds the connection flags every command that talks to Kafka or the registry shares: `--config`,
 * `--kafka-config` (one or the other), and `--brokers` and/or `-r, --registry`, which override the
 * file. Without any, the local stack's addresses.
 */
export function connectionOptions(command: Command, use: ConnectionUse): Command {
  const sections = [use.kafka && 'kafka: (TLS, SASL)', use.registry && 'registry: (basic auth)']
    .filter(Boolean)
    .join(' and ');
  command
    .addOption(
      new Option(
        '--config <app.yaml>',
        `an app's configuration file: connect as that app does, with its ${sections}; \${ENV} resolved`,
      ).conflicts('kafkaConfig'),
    )
    .addOption(
      new Option(
        '--kafka-config <file>',
        `a YAML/JSON file of just a kafka: section${use.registry ? ' and optionally registry:' : ''}, as apps write them` +
          (use.kafka ? '' : ' (its registry: is used)'),
      ),
    );
  if (use.kafka)
    command.addOption(
      new Option(
        '--brokers <list>',
        `Kafka bootstrap brokers, comma-separated; overrides the file's (its TLS and SASL kept) ` +
          `(default: the file's, else ${localBrokers()})`,
      ),
    );
  if (use.registry)
    command.addOption(
      new Option(
        '-r, --registry <url>',
        `the schema registry; overrides the file's URL (its auth kept) ` +
          (use.registry === 'named'
            ? "(default: the file's)"
            : `(default: the file's, else ${localRegistry()})`),
      ).argParser(httpUrl('--registry')),
    );
  return command;
}

/**
 * Kafka and registry settings for a CLI command from its connection flags: a file read through the
 * apps' own loader and schemas (`${ENV}` resolved, unknown keys refused, every problem naming the
 * file and the key), then `--brokers` / `--registry` over it. A file that turns certificate checking
 * off (`rejectUnauthorized: false`) is warned about once, through `warn` (stderr). An unreachable
 * broker fails fast (a person is waiting): a few seconds of retries rather than the apps' patient ones.
 */
export function cliConnections(
  flags: ConnectionFlags,
  clientId: string,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): CliConnections {
  const file = connectionFile(flags);
  // Once per command, on stderr (stdout stays parseable): a file that turns certificate checks off.
  const fileName = flags.config ?? flags.kafkaConfig;
  if (file !== undefined)
    for (const setting of unverifiedTlsSettings(file))
      warn(`warning: ${fileName}: ${unverifiedTlsWarning(setting)}`);
  const kafkaSection = file?.kafka ?? plainKafka(flags.brokers ?? localBrokers(), clientId);
  const kafka: KafkaConfig = {
    ...kafkaSection,
    ...(flags.brokers !== undefined && { brokers: brokerList(flags.brokers, clientId) }),
    clientId,
    logLevel: 'nothing',
    retry: { ...kafkaSection.retry, retries: 2, initialRetryTimeMs: 300, maxRetryTimeMs: 2_000 },
  };
  const registrySection = file?.registry ?? schemaRegistryConfigSchema.parse({ url: localRegistry() });
  const registry: SchemaRegistryConfig = {
    ...registrySection,
    ...(flags.registry !== undefined && { url: flags.registry }),
  };
  return { kafka, registry, registryGiven: file?.registry !== undefined || flags.registry !== undefined };
}

/** Runs `work` with a connected admin client; a broker that does not answer is one line naming it. */
export async function withKafkaAdmin<T>(config: KafkaConfig, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafkaClient(config).admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${config.brokers.join(',')}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** `--kafka-config`: nothing but `kafka:` (required) and `registry:`, strict as app files are. */
const kafkaConfigFileSchema = z.strictObject({
  kafka: kafkaConfigSchema,
  registry: schemaRegistryConfigSchema,
});

/** An app's `kafka` and `registry` sections, as every connector app reads them. */
const appConnectionSchema = z.object(
  (({ kafka, registry }) => ({ kafka, registry }))(connectorConfigTail('cli', 0)),
);

function connectionFile(
  flags: ConnectionFlags,
): { kafka: KafkaConfig; registry?: SchemaRegistryConfig } | undefined {
  if (flags.config !== undefined && flags.kafkaConfig !== undefined)
    throw new UsageError('--config and --kafka-config both name the connection settings: give one');
  const [flag, file] =
    flags.config !== undefined
      ? ['--config', flags.config]
      : flags.kafkaConfig !== undefined
        ? ['--kafka-config', flags.kafkaConfig]
        : [undefined, undefined];
  if (file === undefined) return undefined;
  try {
    const doc = readYamlMap(file);
    if (flag === '--kafka-config') {
      const parsed = parseConfig(kafkaConfigFileSchema, doc, { source: file });
      // Without `registry:` the file names no registry (the local stack's, or none for `schemas`).
      return 'registry' in doc ? parsed : { kafka: parsed.kafka };
    }
    // An app file holds the app's other settings too: a key no app knows is a typo (`kafak:`) that
    // would otherwise send the command to the default brokers. Its other sections (and their
    // secrets) are the app's business: only `kafka` and `registry` are read and interpolated.
    const known = new Set(CONNECTORS.flatMap((c) => Object.keys(c.configSchema.shape)));
    const unknown = Object.keys(doc).find((key) => !known.has(key));
    if (unknown !== undefined)
      throw new ConfigError(
        `${file}: at ${unknown}: unknown key: not a setting of any app (${CONNECTORS.map((c) => c.name).join(', ')})`,
        file,
        unknown,
      );
    const parsed = parseConfig(
      appConnectionSchema,
      { kafka: doc.kafka, registry: doc.registry },
      { source: file },
    );
    // As for --kafka-config: without `registry:` the file names no registry (schemas diff/register
    // refuse then, rather than writing to the local stack's).
    return 'registry' in doc ? parsed : { kafka: parsed.kafka };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${flag} ${error.message}`, { cause: error });
    throw error;
  }
}

function readYamlMap(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${file}: cannot read (${(cause as Error).message})`, file, undefined, { cause });
  }
  const doc = parseYaml(text, file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: expected a YAML map at the top (kafka: ...)`, file);
  return doc as Record<string, unknown>;
}

/** `--brokers` alone: plain TCP to the list, failing fast. A bad list is a usage error. */
function plainKafka(brokers: string, clientId: string): KafkaConfig {
  return kafkaConfigSchema.parse({
    brokers: brokerList(brokers, clientId),
    clientId,
    connectionTimeoutMs: 3_000,
  });
}

function brokerList(brokers: string, clientId: string): string[] {
  const parsed = kafkaConfigSchema.safeParse({ brokers, clientId });
  if (!parsed.success) throw new UsageError(`--brokers expects host:port[,host:port...], got '${brokers}'`);
  return parsed.data.brokers;
}
