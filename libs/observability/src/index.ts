// @sluice/observability — what every Sluice process uses to be watched: structured logging so far
// (tracing, metrics and health arrive with the observability issue).
export {
  createLogger,
  loggingConfigSchema,
  LOG_LEVELS,
  type LoggingConfig,
  type Logger,
} from './logging/logger';
export { NestPinoLogger } from './logging/nest-pino-logger';
