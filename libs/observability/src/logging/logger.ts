import pino, { type Logger } from 'pino';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The `logging` section every app's configuration has. */
export const loggingConfigSchema = z
  .object({
    /** Lowest level written (JSON lines on stdout). */
    level: z.enum(LOG_LEVELS).default('info'),
  })
  .prefault({});

export type LoggingConfig = z.output<typeof loggingConfigSchema>;

/** One JSON-lines logger per process, every line tagged with the service name. */
export function createLogger(service: string, config: LoggingConfig): Logger {
  return pino({ level: config.level, base: { service } });
}

export type { Logger } from 'pino';
