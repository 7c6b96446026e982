import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Node options every Sluice app process starts with, ahead of the caller's own NODE_OPTIONS
 * (a V8 flag given twice takes its last value, so the caller's win).
 *
 * `--max-semi-space-size=8` (MiB): Node 24 sizes V8's young generation from the host's memory —
 * 128 MiB on a 24 GiB machine — and an app's garbage is short-lived records, so most of that is
 * dead objects and the Buffers they hold until the next scavenge. A small young generation keeps
 * resident memory ~100 MiB lower at the same throughput (`npm run bench`, semi-space 16:
 * source-postgres draining 352 → 245 MiB, transformer 365 → 247 MiB). 8 rather than 16: loading an
 * app's ~2,400 modules alone fills a 16 MiB semi-space, which then stays committed (source-postgres
 * started, before any event: ~15 MiB less). deploy/docker/start-app.sh sets the same for the image.
 */
export const APP_NODE_OPTIONS = '--max-semi-space-size=8';

/**
 * Where apps keep Node's compile cache (V8 code of the ~2,400 modules an app loads, keyed by Node
 * version and file content) unless NODE_COMPILE_CACHE says otherwise: a start after the first
 * skips most compiling (transformer spawn → live 835 → 640 ms). Node keeps the entries it read in
 * memory for the process's life (~15 MiB), so the image does not turn it on: for a long-running
 * pod the memory counts, not a quarter second at its start. Launchers that start apps often (the
 * CLI, the demo, tests) do.
 */
export const APP_COMPILE_CACHE = join(tmpdir(), 'sluice-node-compile-cache');

export interface AppProcessEnvOptions {
  /** Turn Node's compile cache on (APP_COMPILE_CACHE) unless the caller set one. Default true. */
  readonly compileCache?: boolean;
}

/** `env` made the environment to start an app in: APP_NODE_OPTIONS ahead of its NODE_OPTIONS, the compile cache on (unless asked not to). */
export function appProcessEnv(env: NodeJS.ProcessEnv, options: AppProcessEnvOptions = {}): NodeJS.ProcessEnv {
  const own = env.NODE_OPTIONS?.trim();
  const cache = env.NODE_COMPILE_CACHE ?? (options.compileCache === false ? undefined : APP_COMPILE_CACHE);
  return {
    ...env,
    NODE_OPTIONS: own ? `${APP_NODE_OPTIONS} ${own}` : APP_NODE_OPTIONS,
    ...(cache !== undefined ? { NODE_COMPILE_CACHE: cache } : {}),
  };
}
