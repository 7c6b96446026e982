#!/bin/sh
# Installs the project's dependencies (and with them its own Node LTS, the `node` devDependency)
# when node_modules is missing or older than the lock file. npm scripts then run on that Node.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sluice: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
