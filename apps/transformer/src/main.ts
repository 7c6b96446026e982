import { telemetry } from './tracing';
import 'reflect-metadata';
import { dirname, resolve } from 'node:path';
import { configFileFromArgs } from '@sluice/config';
import { redactSecrets, secretsOf } from '@sluice/observability';
import { loadTransformerAppConfig, type TransformerAppConfig } from './config/transformer-app-config';
import { createTransformerApp } from './transformer-app';

let config: TransformerAppConfig | undefined;

async function main(): Promise<void> {
  const file = configFileFromArgs(process.argv);
  config = loadTransformerAppConfig(process.argv);
  const app = await createTransformerApp(config, {
    baseDir: file === undefined ? process.cwd() : dirname(resolve(file)),
  });
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): drain in-flight records and commit them, so a
  // restart redoes as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app
        .close()
        .then(() => telemetry.shutdown())
        .finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the last commit.
  app.transformer.done.catch(() => {
    void app
      .close()
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`transformer: ${redactSecrets(message, config ? secretsOf(config) : [])}`);
  process.exit(1);
});
