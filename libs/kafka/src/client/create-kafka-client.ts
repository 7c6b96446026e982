import {
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  type logCreator,
  logLevel,
  type SASLOptions,
} from 'kafkajs';
import { type KafkaConfig, type KafkaSaslConfig } from '../config/kafka-config';
import { readTlsFiles } from './tls-files';
import { kafkajsConsoleLog } from './kafkajs-log';
import { silenceKafkajsTimerWarning } from './kafkajs-timer-warning';

export interface KafkaClientOptions {
  /**
   * Receives kafkajs's log entries (e.g. a pino adapter from the observability lib). Default:
   * kafkajs's console lines with its expected retries demoted to DEBUG (kafkajsConsoleLog). Either
   * way only entries at `config.logLevel` or above arrive.
   */
  logCreator?: logCreator;
  /** Where the Kafka settings sit in the configuration, for error messages. Default `kafka`. */
  configPath?: string;
  /** The file (or other source) the settings came from, for error messages. Default `configuration`. */
  source?: string;
}

const LOG_LEVELS: Record<KafkaConfig['logLevel'], logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

// kafkajs types SASL options per mechanism; spelled out so the compiler checks each one.
function toSaslOptions(sasl: KafkaSaslConfig): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/**
 * Translates validated Sluice settings into kafkajs's client configuration, reading the TLS files.
 * Separate from `createKafkaClient` so the mapping can be checked without a client.
 */
export function toKafkaJsConfig(config: KafkaConfig, options: KafkaClientOptions = {}): KafkaJsConfig {
  const where = { source: options.source ?? 'configuration', path: options.configPath ?? 'kafka' };
  const tls = config.tls.enabled
    ? { ...readTlsFiles(config.tls, where), rejectUnauthorized: config.tls.rejectUnauthorized }
    : false;
  return {
    // A fresh array: kafkajs keeps a reference, and the caller's config must stay theirs.
    brokers: [...config.brokers],
    clientId: config.clientId,
    ssl: tls,
    sasl: config.sasl && toSaslOptions(config.sasl),
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // kafkajs's names: it would ignore `initialRetryTimeMs` / `maxRetryTimeMs` and use its defaults.
    retry: {
      retries: config.retry.retries,
      initialRetryTime: config.retry.initialRetryTimeMs,
      maxRetryTime: config.retry.maxRetryTimeMs,
      multiplier: config.retry.multiplier,
      factor: config.retry.factor,
    },
    logLevel: LOG_LEVELS[config.logLevel],
    logCreator: options.logCreator ?? kafkajsConsoleLog,
  };
}

/**
 * A kafkajs client for the configured cluster. Building it opens no connection: producers,
 * consumers and admins made from it connect when asked to. Throws `ConfigError` when a TLS file
 * cannot be read.
 */
export function createKafkaClient(config: KafkaConfig, options: KafkaClientOptions = {}): Kafka {
  silenceKafkajsTimerWarning();
  return new Kafka(toKafkaJsConfig(config, options));
}
