import { telemetry } from './tracing';
import 'reflect-metadata';
import { runService } from '@sluice/observability';
import { loadSinkHttpAppConfig } from './config/sink-http-app-config';
import { createSinkHttpApp } from './sink-http-app';

// On SIGTERM in-flight requests finish and commit; records still waiting are redelivered after the
// restart with the same idempotency keys.
runService({
  name: 'sink-http',
  loadConfig: () => loadSinkHttpAppConfig(process.argv),
  start: async (config) => {
    const app = await createSinkHttpApp(config);
    return { close: () => app.close(), done: app.sink.done };
  },
  shutdown: () => telemetry.shutdown(),
});
