// What tests, benchmarks and the CLI may use from outside the app.
export { createSourceApp, type SourceApp } from './source-app';
export {
  sourceAppConfigSchema,
  loadSourceAppConfig,
  type SourceAppConfig,
  type SourceAppConfigInput,
} from './config/source-app-config';
