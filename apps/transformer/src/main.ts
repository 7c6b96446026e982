import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { configFileFromArgs } from '@sluice/config';
import { loadTransformerAppConfig } from './config/transformer-app-config';
import { createTransformerApp } from './transformer-app';

async function main(): Promise<void> {
  const file = configFileFromArgs(process.argv);
  const app = await createTransformerApp(loadTransformerAppConfig(process.argv), {
    baseDir: file === undefined ? process.cwd() : dirname(resolve(file)),
  });
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): drain in-flight records and commit them, so a
  // restart redoes as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the last commit.
  app.transformer.done.catch(() => {
    void app.close().finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(`transformer: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
