import 'reflect-metadata';
import { loadSinkPostgresAppConfig } from './config/sink-postgres-app-config';
import { createSinkPostgresApp } from './sink-postgres-app';

async function main(): Promise<void> {
  const app = await createSinkPostgresApp(loadSinkPostgresAppConfig(process.argv));
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): drain in-flight records and commit them with
  // their offsets, so a restart redoes as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the stored offsets.
  app.sink.done.catch(() => {
    void app.close().finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(`sink-postgres: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
