// @sluice/observability — what every Sluice process uses to be watched: structured logging with
// trace ids and secrets removed, OpenTelemetry tracing (SDK boot, Kafka record context), Prometheus
// metrics (one registry per process, `/metrics`) and the Terminus health endpoints.
export {
  createLogger,
  loggingConfigSchema,
  LOG_LEVELS,
  type LoggingConfig,
  type LoggerOptions,
  type Logger,
} from './logging/logger';
export { secretsOf, redactSecrets, type SecretSource } from './logging/secrets';
export { NestPinoLogger } from './logging/nest-pino-logger';
export { tracingConfigSchema, type TracingConfig } from './tracing/tracing-config';
export {
  bootTelemetry,
  startTelemetry,
  telemetry,
  tracingActive,
  type Telemetry,
  type TelemetryOptions,
} from './tracing/telemetry';
export {
  MessageTracing,
  TraceSpan,
  traceContextHeaders,
  withTraceContext,
  type ConsumedMessage,
  type MessageHeader,
} from './tracing/message-tracing';
export {
  SOURCE_COMMIT_TS_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  SLUICE_OUTCOME,
  SLUICE_ATTEMPTS,
  SLUICE_TX_ID,
  SLUICE_LSN,
  DB_SYSTEM_NAME,
  DB_NAMESPACE,
  DB_OPERATION_NAME,
  DB_OPERATION_BATCH_SIZE,
} from './tracing/span-attributes';
export {
  counter,
  gauge,
  histogram,
  metricsExposition,
  LATENCY_BUCKETS_SECONDS,
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
  type Labels,
  type MetricSpec,
} from './metrics/metrics-registry';
export { MetricsModule } from './metrics/metrics.module';
export { watchCircuitBreakers, type CircuitReading } from './metrics/circuit-breaker-metrics';
export {
  phaseProbe,
  reachabilityProbe,
  httpReachable,
  postgresReachable,
  groupMembershipProbe,
  type PostgresConnection,
  type HealthProbe,
  type HealthProbes,
  type ProbeResult,
  type PhaseState,
} from './health/health-probe';
export { HealthModule } from './health/health.module';
export {
  ProgressWatchdog,
  progressProbe,
  livenessConfigSchema,
  type LivenessConfig,
  type LivenessState,
  type LivenessView,
  type ProgressSample,
} from './health/progress-watchdog';
export { httpConfigSchema, bindAddress, type HttpConfig } from './http/http-config';
export { OPEN_API_PATH } from './http/open-api';
export { serveApp, type AppWork, type ServeAppOptions, type ServedApp } from './lifecycle/serve-app';
export { runService, type RunServiceOptions, type RunningService } from './lifecycle/run-service';
export { releaseInTurn } from './lifecycle/release-in-turn';
