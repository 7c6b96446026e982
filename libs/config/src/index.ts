export { type Environment, interpolate, type UnsetVariables } from './interpolate';
export { parseConfig, parseYaml, loadConfigFile, yamlPath } from './load-config';
export { processEnvironment, envInt, envString, envFlag } from './environment';
export { configFileFromArgs, loadAppConfig } from './app-config';
export {
  APP_COMPILE_CACHE,
  APP_NODE_OPTIONS,
  appProcessEnv,
  type AppProcessEnvOptions,
} from './app-process-env';
export { flag, wholeNumber, wholeNumberOr, decimal } from './config-fields';
export { configReferenceMarkdown, replaceGeneratedSection, type ConfigSetting } from './config-reference';
export {
  POSTGRES_SSL_MODES,
  type PostgresSslMode,
  postgresSslSchema,
  type PostgresSslConfig,
  type PostgresTlsOptions,
  type PostgresSslLocation,
  postgresTlsOptions,
} from './postgres-ssl';
export {
  unverifiedTlsSettings,
  unverifiedTlsWarning,
  warnUnverifiedTls,
  type TlsWarningSink,
} from './unverified-tls';
