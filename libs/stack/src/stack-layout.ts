import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Environment, envInt, envString } from '@sluice/config';

/**
 * Where the local stack keeps its files and which ports it uses. Every value has a default and an
 * environment variable that overrides it (documented in the README's "Local stack" table).
 */
export interface StackLayout {
  /** The project folder the stack belongs to. */
  projectRoot: string;
  /** Data and logs: `<project>/.sluice` by default (SLUICE_HOME). */
  home: string;
  /** Downloaded runtimes shared by every clone on the machine (SLUICE_CACHE_DIR). */
  cacheDir: string;
  /** A short stable id of this stack's home folder, for machine-wide paths that must not collide. */
  instanceId: string;
  kafka: { host: string; port: number; controllerPort: number; version: string; heap: string };
  postgres: { host: string; port: number; user: string; password: string; databases: string[] };
  registry: { host: string; port: number };
  /** Seconds `up` waits for a part to answer before it gives up and names the part's log. */
  startTimeoutSeconds: number;
}

export function stackLayout(projectRoot: string, env: Environment = process.env): StackLayout {
  const root = resolve(projectRoot);
  const home = resolve(envString('SLUICE_HOME', join(root, '.sluice'), env));
  return {
    projectRoot: root,
    home,
    cacheDir: resolve(envString('SLUICE_CACHE_DIR', join(homedir(), '.cache', 'sluice'), env)),
    instanceId: createHash('sha256').update(home).digest('hex').slice(0, 10),
    kafka: {
      host: '127.0.0.1',
      port: envInt('SLUICE_KAFKA_PORT', 9092, env),
      controllerPort: envInt('SLUICE_KAFKA_CONTROLLER_PORT', 9093, env),
      version: envString('SLUICE_KAFKA_VERSION', '4.1.2', env),
      heap: envString('SLUICE_KAFKA_HEAP', '512m', env),
    },
    postgres: {
      host: '127.0.0.1',
      port: envInt('SLUICE_POSTGRES_PORT', 5433, env),
      user: 'postgres',
      password: 'postgres',
      databases: ['source', 'sink', 'registry'],
    },
    registry: { host: '127.0.0.1', port: envInt('SLUICE_REGISTRY_PORT', 8081, env) },
    startTimeoutSeconds: envInt('SLUICE_STACK_TIMEOUT', 120, env),
  };
}

/** A machine-wide scratch folder for this stack, for what must live outside the project tree. */
export function machineScratchDir(layout: StackLayout): string {
  return join(tmpdir(), `sluice-${layout.instanceId}`);
}
