import { type LoggerService } from '@nestjs/common';
import { type Logger } from 'pino';

/**
 * Nest's logger backed by pino: JSON lines with the Nest context. No per-request middleware, so
 * hot HTTP paths pay nothing for logging.
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }

  error(message: unknown, stackOrContext?: string, context?: string): void {
    if (message instanceof Error) this.pino.error({ err: message, context: stackOrContext }, message.message);
    else
      this.pino.error(
        { context: context ?? stackOrContext, stack: context ? stackOrContext : undefined },
        String(message),
      );
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.pino.fatal({ context }, String(message));
  }
}
