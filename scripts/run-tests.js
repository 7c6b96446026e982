#!/usr/bin/env node
// The test command's runner: node's own test runner over the compiled specs.
//   unit specs        libs/**/src/**/*.spec.ts, apps/**/*.spec.ts   (beside the code they test)
//   integration/e2e   test/**/*.test.ts                              (real Kafka, Postgres, registry)
// Integration suites share one local stack: the global setup starts the parts that are not already
// running and stops, at the end, only what it started.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');

const root = path.join(__dirname, '..');

// The suites run on the project's own Node (the `node` devDependency, which npm scripts put first on
// PATH). Started on an older one (`node scripts/run-tests.js` with the system's Node), the runner
// hands over to it, as bin/sluice.js does; without it installed, it says so.
const projectNode = path.join(root, 'node_modules', '.bin', 'node');
const wanted = require(path.join(root, 'package.json')).devDependencies.node;
const major = (version) => Number(version.split('.')[0]);
if (major(process.versions.node) < major(wanted)) {
  if (!fs.existsSync(projectNode) || fs.realpathSync(projectNode) === fs.realpathSync(process.execPath)) {
    console.error(
      `run-tests: the suites run on Node ${wanted} (the \`node\` devDependency), not ${process.version}; ` +
        '`npm test` installs it and runs them on it',
    );
    process.exit(1);
  }
  const handedOver = spawnSync(projectNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(handedOver.status ?? 1);
}
const dist = path.join(root, 'dist');
const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (/\.(spec|test)\.js$/.test(entry.name)) out.push(full);
  }
  return out;
}

let files = [...walk(path.join(dist, 'libs')), ...walk(path.join(dist, 'apps'))];
if (!unitOnly) files.push(...walk(path.join(dist, 'test')), ...walk(path.join(dist, 'examples')));
// Only compiled specs whose source still exists: an incremental build never deletes the output of
// a removed or renamed spec.
files = files.filter((f) => fs.existsSync(path.join(root, path.relative(dist, f)).replace(/\.js$/, '.ts')));
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/ (did the build run?)');
  process.exit(1);
}

const args = [
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.SLUICE_TEST_CONCURRENCY ?? 2}`,
];
if (!unitOnly && files.some((f) => f.includes(`${path.sep}test${path.sep}`))) {
  args.push(`--test-global-setup=${path.join(dist, 'test', 'support', 'global-setup.js')}`);
}
args.push(...files.sort());
// Test files run as separate processes: ports they are handed are claimed in one folder (test/support/ports.ts).
const portsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-ports-'));
const result = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, SLUICE_TEST_PORTS_DIR: portsDir },
});
fs.rmSync(portsDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
