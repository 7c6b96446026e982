// What tests, benchmarks and the CLI may use from outside the app.
export { createSinkHttpApp, type SinkHttpApp, type SinkHttpAppOptions } from './sink-http-app';
export {
  HttpSink,
  type SinkHttpStatus,
  type SinkHttpPhase,
  type PartitionStatus,
  type BreakerListener,
} from './processing/http-sink';
export {
  sinkHttpAppConfigSchema,
  loadSinkHttpAppConfig,
  type SinkHttpAppConfig,
  type SinkHttpAppConfigInput,
} from './config/sink-http-app-config';
