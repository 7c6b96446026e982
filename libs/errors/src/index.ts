export {
  SluiceError,
  RetriableError,
  FatalRecordError,
  ConfigError,
  EnvironmentError,
  isRetriable,
} from './sluice-error';
