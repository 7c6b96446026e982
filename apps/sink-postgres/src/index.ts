// What tests, benchmarks and the CLI may use from outside the app.
export {
  createSinkPostgresApp,
  type SinkPostgresApp,
  type SinkPostgresAppOptions,
} from './sink-postgres-app';
export {
  sinkPostgresAppConfigSchema,
  loadSinkPostgresAppConfig,
  sinkRuntimeConfig,
  type SinkPostgresAppConfig,
  type SinkPostgresAppConfigInput,
} from './config/sink-postgres-app-config';
