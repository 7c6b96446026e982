import { telemetry } from './tracing';
import 'reflect-metadata';
import { runService } from '@sluice/observability';
import { loadSinkPostgresAppConfig } from './config/sink-postgres-app-config';
import { createSinkPostgresApp } from './sink-postgres-app';

// On SIGTERM in-flight records are written and committed with their offsets; after a failure the
// restart resumes from the offsets stored in the target database.
runService({
  name: 'sink-postgres',
  loadConfig: () => loadSinkPostgresAppConfig(process.argv),
  start: async (config) => {
    const app = await createSinkPostgresApp(config);
    return { close: () => app.close(), done: app.sink.done };
  },
  shutdown: () => telemetry.shutdown(),
});
