// The container image, checked without a Docker engine: the Dockerfile parses and passes BuildKit's
// lint rules, its build stage compiles what it copies (apps and libs only), every path it copies
// exists and is not excluded by .dockerignore, and the runtime stage is non-root, starts through
// the entrypoint script the app-probes suite runs, and carries no devDependency.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfileLintBinary, PROJECT_ROOT, run } from './deploy-toolchain';

const DOCKERFILE = join(PROJECT_ROOT, 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([line]);
  else if (acc.length > 0) acc[acc.length - 1]!.push(line);
  return acc;
}, []);

describe('Dockerfile', { timeout: 10 * 60_000 }, () => {
  let lint: string;
  before(async () => {
    lint = await dockerfileLintBinary();
  });

  it("parses and passes BuildKit's lint rules", async () => {
    const result = await run(lint, [DOCKERFILE]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  it('the linter does flag a bad Dockerfile (so a pass means something)', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'dockerfile-')), 'Dockerfile');
    writeFileSync(bad, 'FROM node:24-slim as build\nMAINTAINER someone\nRUN true\n');
    const result = await run(lint, [bad]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FromAsCasing/);
    assert.match(result.stdout, /MaintainerDeprecated/);
  });

  it('builds on Node 24 slim in two stages; the runtime runs as a numeric non-root user through start-app.sh', () => {
    assert.match(text, /^ARG NODE_IMAGE=node:24-slim$/m);
    assert.equal(stages.length, 2);
    const runtime = stages[1]!;
    const user = runtime.find((l) => l.startsWith('USER '));
    assert.match(user ?? '', /^USER [1-9]\d*:[1-9]\d*$/);
    assert.equal(runtime.at(-1), 'ENTRYPOINT ["/app/deploy/docker/start-app.sh"]');
    // Only build output and production dependencies reach the runtime stage.
    const copies = runtime.filter((l) => l.startsWith('COPY'));
    assert.ok(
      copies.every((l) => /--from=build|start-app\.sh/.test(l)),
      copies.join('\n'),
    );
    assert.ok(stages[0]!.some((l) => l.includes('npm prune --omit=dev')));
  });

  it('every path the build copies exists and is not excluded by .dockerignore', () => {
    const ignored = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const sources = instructions
      .filter((l) => l.startsWith('COPY') && !l.includes('--from='))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .slice(1, -1)
          .filter((a) => !a.startsWith('--')),
      );
    assert.ok(sources.length >= 5);
    for (const source of sources) {
      assert.ok(existsSync(join(PROJECT_ROOT, source)), `${source} exists`);
      assert.ok(
        !ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
        `${source} is not ignored`,
      );
    }
    for (const local of ['**/node_modules', 'dist', '.sluice', '.git'])
      assert.ok(ignored.includes(local), local);
  });

  it("the build stage's compile (apps and libs, no specs, no tests) type-checks", async () => {
    const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [
      tsc,
      '-p',
      join(PROJECT_ROOT, 'deploy', 'docker', 'tsconfig.image.json'),
      '--noEmit',
      '--incremental',
      'false',
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
});
