// What tests, benchmarks and the stack manager may use from outside the app.
export { createRegistryApp, type RegistryApp } from './registry-app';
export {
  registryConfig,
  loadRegistryConfig,
  RegistryConfigSchema,
  type RegistryConfig,
  type RegistryConfigInput,
} from './config/registry-config';
