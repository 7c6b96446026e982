#!/usr/bin/env node
// The `sluice` command. It runs on the project's own Node LTS (the `node` devDependency): npm scripts
// and `npx sluice` put it first on PATH, and a start under an older Node hands over to it. On a
// fresh clone it installs the dependencies and builds once before the first command.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const entry = path.join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
const projectNode = path.join(root, 'node_modules', '.bin', 'node');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`sluice: \`${[command, ...args].join(' ')}\` failed; fix that first\n`);
    process.exit(1);
  }
}

if (!fs.existsSync(projectNode)) run('sh', [path.join(root, 'scripts', 'ensure-deps.sh')]);
if (!fs.existsSync(entry)) {
  process.stderr.write('sluice: building (once; `npm run build` rebuilds)\n');
  run(projectNode, [
    path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    path.join(root, 'tsconfig.build.json'),
  ]);
  run(projectNode, [
    path.join(root, 'node_modules', 'tsc-alias', 'dist', 'bin', 'index.js'),
    '-p',
    path.join(root, 'tsconfig.build.json'),
  ]);
}
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // Started with an older system Node: hand over to the project's own LTS.
  const result = spawnSync(projectNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
require(entry);
