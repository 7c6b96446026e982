// What tests, benchmarks and the CLI may use from outside the app.
export { createTransformerApp, type TransformerApp, type TransformerAppOptions } from './transformer-app';
export { type Transformer, type TransformerStatus, type TransformerPhase } from './processing/transformer';
export {
  transformerAppConfigSchema,
  loadTransformerAppConfig,
  type TransformerAppConfig,
  type TransformerAppConfigInput,
} from './config/transformer-app-config';
