import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { tracingActive } from '../tracing/telemetry';
import { hasShortSecrets, SECRET_FIELD_PATHS, type SecretSource, secretRedactor, secretsOf } from './secrets';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The `logging` section every app's configuration has. */
export const loggingConfigSchema = z
  .strictObject({
    // Strict, as every other section: a misspelt key is an error naming it, not silently dropped.
    level: z
      .enum(LOG_LEVELS)
      .default('info')
      .describe('Lowest level written (JSON lines on stdout). Default info.'),
  })
  .prefault({});

export type LoggingConfig = z.output<typeof loggingConfigSchema>;

export interface LoggerOptions {
  /**
   * The app's whole configuration: its secrets (passwords, tokens, URL passwords) never appear in a
   * line, whatever field or message carries them.
   */
  readonly secretsFrom?: unknown;
  /**
   * Secrets beyond the app's configuration, known before the logger is made: other configurations
   * (a transformer's pipeline file) searched the same way, or secret strings themselves.
   */
  readonly moreSecrets?: readonly SecretSource[];
  /** Where lines go; default stdout. */
  readonly destination?: pino.DestinationStream;
}

/**
 * One JSON-lines logger per process, every line tagged with the service name and, inside a traced
 * record's work, its `trace_id` and `span_id`.
 */
export function createLogger(service: string, config: LoggingConfig, options: LoggerOptions = {}): Logger {
  const more = options.moreSecrets ?? [];
  const redact = secretRedactor(secretsOf(options.secretsFrom, more));
  const settings: pino.LoggerOptions = {
    level: config.level,
    base: { service },
    mixin: traceIds,
    // By field name for any secret, by value (and URL password) in every line for the rest.
    redact: { paths: [...SECRET_FIELD_PATHS], censor: '[REDACTED]' },
    hooks: { streamWrite: redact },
  };
  const logger = options.destination ? pino(settings, options.destination) : pino(settings);
  if (hasShortSecrets(options.secretsFrom, more))
    logger.warn(
      'a configured secret is shorter than 8 characters: it is kept out of logs by field name and in URLs, not inside free text',
    );
  return logger;
}

function traceIds(): Record<string, string> {
  if (!tracingActive()) return {};
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export type { Logger } from 'pino';
