import { telemetry } from './tracing';
import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { configFileFromArgs } from '@sluice/config';
import { runService } from '@sluice/observability';
import { loadTransformerAppConfig } from './config/transformer-app-config';
import { createTransformerApp } from './transformer-app';

// On SIGTERM in-flight records finish and commit; after a failure the restart resumes from the last
// commit. The pipeline file is found relative to the configuration file.
runService({
  name: 'transformer',
  loadConfig: () => loadTransformerAppConfig(process.argv),
  start: async (config) => {
    const file = configFileFromArgs(process.argv);
    const app = await createTransformerApp(config, {
      baseDir: file === undefined ? process.cwd() : dirname(resolve(file)),
    });
    return { close: () => app.close(), done: app.transformer.done };
  },
  shutdown: () => telemetry.shutdown(),
});
