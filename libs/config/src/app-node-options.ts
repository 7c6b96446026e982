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

/** `env` with APP_NODE_OPTIONS put ahead of its NODE_OPTIONS: the environment to start an app in. */
export function withAppNodeOptions(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env.NODE_OPTIONS?.trim();
  return { ...env, NODE_OPTIONS: own ? `${APP_NODE_OPTIONS} ${own}` : APP_NODE_OPTIONS };
}
