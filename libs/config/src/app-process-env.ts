import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Node options every Sluice app process starts with, ahead of the caller's own NODE_OPTIONS
 * (a V8 flag given twice takes its last value, so the caller's win).
 *
 * `--max-semi-space-size=16` (MiB): Node 24 sizes V8's young generation from the host's memory —
 * 128 MiB on a 24 GiB machine — and an app's garbage is short-lived records, so most of that is
 * dead objects and the Buffers they hold until the next scavenge. A 32 MiB young generation keeps
 * resident memory ~100 MiB lower at the same throughput (`npm run bench`: source-postgres draining
 * 352 → 245 MiB, transformer 365 → 247 MiB). deploy/docker/start-app.sh sets the same for the image.
 */
export const APP_NODE_OPTIONS = '--max-semi-space-size=16';

/**
 * Where apps keep Node's compile cache (V8 code of the ~2,500 modules an app loads, keyed by Node
 * version and file content) unless NODE_COMPILE_CACHE says otherwise: a start after the first
 * skips most compiling (transformer spawn → live 835 → 640 ms).
 */
export const APP_COMPILE_CACHE = join(tmpdir(), 'sluice-node-compile-cache');

/** `env` made the environment to start an app in: APP_NODE_OPTIONS ahead of its NODE_OPTIONS, the compile cache on. */
export function appProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env.NODE_OPTIONS?.trim();
  return {
    ...env,
    NODE_OPTIONS: own ? `${APP_NODE_OPTIONS} ${own}` : APP_NODE_OPTIONS,
    NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? APP_COMPILE_CACHE,
  };
}
