import 'reflect-metadata';
import { loadSourceAppConfig } from './config/source-app-config';
import { createSourceApp } from './source-app';

async function main(): Promise<void> {
  const app = await createSourceApp(loadSourceAppConfig(process.argv));
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): let Kafka acknowledge what is in flight and
  // confirm it to the slot, so a restart redelivers as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(`source-postgres: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
