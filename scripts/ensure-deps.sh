#!/bin/sh
# Installs the project's dependencies (and with them its own Node LTS, the `node` devDependency)
# when node_modules is missing or older than the lock file. npm scripts then run on that Node.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sluice: installing dependencies (npm ci)" >&2
  # Its postinstall applies patches/ (fixes to dependencies, see patches/README.md).
  npm ci --no-audit --no-fund --loglevel=error
elif [ -n "$(find patches -newer node_modules/.package-lock.json -name '*.patch')" ]; then
  # A patch changed since the install. It cannot be applied over the package as the earlier version
  # of the patch left it (patch-package needs the pristine files), so install afresh: the
  # postinstall applies every patch to pristine packages.
  echo "sluice: a patch in patches/ changed: reinstalling dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
