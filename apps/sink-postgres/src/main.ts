import { telemetry } from './tracing';
import 'reflect-metadata';
import { redactSecrets, secretsOf } from '@sluice/observability';
import { loadSinkPostgresAppConfig, type SinkPostgresAppConfig } from './config/sink-postgres-app-config';
import { createSinkPostgresApp } from './sink-postgres-app';

let config: SinkPostgresAppConfig | undefined;

async function main(): Promise<void> {
  config = loadSinkPostgresAppConfig(process.argv);
  const app = await createSinkPostgresApp(config);
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): drain in-flight records and commit them with
  // their offsets, so a restart redoes as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app
        .close()
        .then(() => telemetry.shutdown())
        .finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the stored offsets.
  app.sink.done.catch(() => {
    void app
      .close()
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`sink-postgres: ${redactSecrets(message, config ? secretsOf(config) : [])}`);
  process.exit(1);
});
