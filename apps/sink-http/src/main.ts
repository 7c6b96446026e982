import { telemetry } from './tracing';
import 'reflect-metadata';
import { redactSecrets, secretsOf } from '@sluice/observability';
import { loadSinkHttpAppConfig, type SinkHttpAppConfig } from './config/sink-http-app-config';
import { createSinkHttpApp } from './sink-http-app';

let config: SinkHttpAppConfig | undefined;

async function main(): Promise<void> {
  config = loadSinkHttpAppConfig(process.argv);
  const app = await createSinkHttpApp(config);
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): finish in-flight requests and commit them; records
  // still waiting are redelivered after the restart with the same idempotency keys.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app
        .close()
        .then(() => telemetry.shutdown())
        .finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the last commit.
  app.sink.done.catch(() => {
    void app
      .close()
      .then(() => telemetry.shutdown())
      .finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`sink-http: ${redactSecrets(message, config ? secretsOf(config) : [])}`);
  process.exit(1);
});
