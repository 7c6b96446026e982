import 'reflect-metadata';
import { loadRegistryConfig } from './config/registry-config';
import { createRegistryApp } from './registry-app';

async function main(): Promise<void> {
  const registry = await createRegistryApp(loadRegistryConfig(process.argv));
  registry.app.enableShutdownHooks();
}

main().catch((error: unknown) => {
  console.error(`schema-registry: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
