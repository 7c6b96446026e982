import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { configFileFromArgs } from '@sluice/config';
import { runService } from '@sluice/observability';
import { loadRegistryConfig } from './config/registry-config';
import { createRegistryApp } from './registry-app';

// On SIGTERM requests in flight finish and the pool closes; exit 0 (Nest's own shutdown hooks would
// re-raise the signal, which reads as a crash: exit 143).
runService({
  name: 'schema-registry',
  loadConfig: () => loadRegistryConfig(process.argv),
  start: async (config) => {
    const file = configFileFromArgs(process.argv);
    const registry = await createRegistryApp(config, {
      baseDir: file === undefined ? process.cwd() : dirname(resolve(file)),
    });
    return { close: () => registry.app.close() };
  },
});
