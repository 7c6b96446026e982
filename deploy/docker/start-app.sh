#!/bin/sh
# The container's entrypoint: runs the app SLUICE_APP names (source-postgres, transformer,
# sink-postgres, sink-http, source-webhook, source-http-poll, schema-registry) with the
# configuration SLUICE_CONFIG points at.
# `exec` makes node PID 1, so Kubernetes' SIGTERM reaches the app's own handler, which drains
# in-flight work and exits 0 (there are no child processes to reap, so no init is needed).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
app="${SLUICE_APP:-}"
if [ -z "$app" ] || [ ! -f "$root/dist/apps/$app/src/main.js" ] || [ "$app" = cli ]; then
  apps="$(cd "$root/dist/apps" && for d in *; do [ "$d" != cli ] && [ -f "$d/src/main.js" ] && printf '%s ' "$d"; done)"
  echo "sluice: set SLUICE_APP to one of: ${apps% } (got '${app}')" >&2
  exit 64
fi
if [ -z "${SLUICE_CONFIG:-}" ]; then
  echo "sluice: set SLUICE_CONFIG to the app's YAML configuration file" >&2
  exit 64
fi
# As every Sluice launcher does (APP_NODE_OPTIONS in libs/config): a small young generation instead
# of Node's 128 MiB on a large host (semi-space 16: ~100 MiB less resident memory; 8: ~15 MiB less
# again after start-up); the caller's NODE_OPTIONS win.
# No compile cache of its own (set NODE_COMPILE_CACHE for one): Node keeps the entries it read in
# memory for the process's life (~15 MiB), for a quarter second saved at a start.
export NODE_OPTIONS="--max-semi-space-size=8${NODE_OPTIONS:+ $NODE_OPTIONS}"
exec node "$root/dist/apps/$app/src/main.js" "$@"
