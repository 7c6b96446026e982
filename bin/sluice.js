#!/usr/bin/env node
// The `sluice` command. npm puts the project's own Node LTS (the `node` devDependency) first on
// PATH for npm scripts and `npx sluice`; the compiled CLI lives in dist/ (`npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'sluice: not built yet; run `npm run build` (or `npm test` / `npm run demo`, which build first)\n',
  );
  process.exit(1);
}
const major = Number(process.versions.node.split('.')[0]);
const projectNode = path.join(__dirname, '..', 'node_modules', '.bin', 'node');
if (major < 22 && fs.existsSync(projectNode)) {
  // Started with an older system Node: hand over to the project's own LTS.
  const { spawnSync } = require('node:child_process');
  const result = spawnSync(projectNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
if (major < 22) {
  process.stderr.write(
    `sluice: needs Node >= 22, this is ${process.version}; run it as \`npx sluice\` or through npm scripts, which use the project's own Node\n`,
  );
  process.exit(1);
}
require(entry);
