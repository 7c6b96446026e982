import 'reflect-metadata';
import { loadSinkHttpAppConfig } from './config/sink-http-app-config';
import { createSinkHttpApp } from './sink-http-app';

async function main(): Promise<void> {
  const app = await createSinkHttpApp(loadSinkHttpAppConfig(process.argv));
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): finish in-flight requests and commit them; records
  // still waiting are redelivered after the restart with the same idempotency keys.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
  // A runtime that stopped on a failure exits non-zero; the orchestrator restarts it from the last commit.
  app.sink.done.catch(() => {
    void app.close().finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(`sink-http: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
