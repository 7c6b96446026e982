import { telemetry } from './tracing';
import 'reflect-metadata';
import { redactSecrets, secretsOf } from '@sluice/observability';
import { loadSourceAppConfig, type SourceAppConfig } from './config/source-app-config';
import { createSourceApp } from './source-app';

let config: SourceAppConfig | undefined;

async function main(): Promise<void> {
  config = loadSourceAppConfig(process.argv);
  const app = await createSourceApp(config);
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): let Kafka acknowledge what is in flight and
  // confirm it to the slot, so a restart redelivers as little as possible.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void app
        .close()
        .then(() => telemetry.shutdown())
        .finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`source-postgres: ${redactSecrets(message, config ? secretsOf(config) : [])}`);
  process.exitCode = 1;
});
