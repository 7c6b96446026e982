import { telemetry } from './tracing';
import 'reflect-metadata';
import { runService } from '@sluice/observability';
import { loadSourceAppConfig } from './config/source-app-config';
import { createSourceApp } from './source-app';

// On SIGTERM Kafka acknowledges what is in flight and it is confirmed to the slot, so a restart
// redelivers as little as possible. A source that failed for good stays up in phase `failed`,
// answering /status, rather than exiting.
runService({
  name: 'source-postgres',
  loadConfig: () => loadSourceAppConfig(process.argv),
  start: (config) => createSourceApp(config),
  shutdown: () => telemetry.shutdown(),
});
