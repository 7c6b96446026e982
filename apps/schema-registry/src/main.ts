import 'reflect-metadata';
import { loadRegistryConfig } from './config/registry-config';
import { createRegistryApp } from './registry-app';

async function main(): Promise<void> {
  const registry = await createRegistryApp(loadRegistryConfig(process.argv));
  // SIGTERM (Kubernetes, `sluice run` on Ctrl-C): finish the requests in flight, close the pool and
  // exit 0 — Nest's own shutdown hooks re-raise the signal, which reads as a crash (exit 143).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void registry.app.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(`schema-registry: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
