import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { tracingActive } from '../tracing/telemetry';
import { redactSecrets, secretsOf } from './secrets';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The `logging` section every app's configuration has. */
export const loggingConfigSchema = z
  .object({
    /** Lowest level written (JSON lines on stdout). */
    level: z.enum(LOG_LEVELS).default('info'),
  })
  .prefault({});

export type LoggingConfig = z.output<typeof loggingConfigSchema>;

export interface LoggerOptions {
  /**
   * The app's whole configuration: its secrets (passwords, tokens, URL passwords) never appear in a
   * line, whatever field or message carries them.
   */
  readonly secretsFrom?: unknown;
  /** Where lines go; default stdout. */
  readonly destination?: pino.DestinationStream;
}

/**
 * One JSON-lines logger per process, every line tagged with the service name and, inside a traced
 * record's work, its `trace_id` and `span_id`.
 */
export function createLogger(service: string, config: LoggingConfig, options: LoggerOptions = {}): Logger {
  const secrets = options.secretsFrom === undefined ? [] : secretsOf(options.secretsFrom);
  const settings: pino.LoggerOptions = {
    level: config.level,
    base: { service },
    mixin: traceIds,
    ...(secrets.length > 0 ? { hooks: { streamWrite: (line: string) => redactSecrets(line, secrets) } } : {}),
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

function traceIds(): Record<string, string> {
  if (!tracingActive()) return {};
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export type { Logger } from 'pino';
