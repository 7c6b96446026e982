// Start-up refuses bad configuration with exit code 1 and a message naming the file and YAML path,
// before it connects anywhere: an invalid pipeline file, a missing one, an invalid app setting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = join(__dirname, '..', '..', 'apps', 'transformer', 'src', 'main.js');

function start(files: Record<string, string>): { code: number | null; stderr: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-transformer-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const result = spawnSync(process.execPath, [main], {
    env: { ...process.env, SLUICE_CONFIG: join(dir, 'transformer.yaml') },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stderr: result.stderr, dir };
}

const APP = 'pipeline: pipeline.yaml\nhttp: { port: 0 }\nlogging: { level: silent }\n';

describe('transformer: bad configuration', () => {
  it('an invalid pipeline file: exit 1 naming the file and the YAML path', () => {
    const { code, stderr, dir } = start({
      'transformer.yaml': APP,
      'pipeline.yaml':
        'name: bad\nfrom: { topics: [a] }\nto: b\nsteps:\n  - unwrap: {}\n  - mask: { fields: [email], with: rot13 }\n',
    });
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`${join(dir, 'pipeline.yaml').replace(/[.]/g, '\\.')}`));
    assert.match(stderr, /steps\[1\]\.mask\.with/);
  });

  it('a missing pipeline file: exit 1 naming it', () => {
    const { code, stderr, dir } = start({ 'transformer.yaml': APP });
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(join(dir, 'pipeline.yaml')), stderr);
  });

  it('an invalid app setting: exit 1 naming the configuration file and path', () => {
    const { code, stderr, dir } = start({
      'transformer.yaml': 'pipeline: pipeline.yaml\nruntime: { concurrency: { partitions: 0 } }\n',
    });
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(join(dir, 'transformer.yaml')), stderr);
    assert.match(stderr, /runtime\.concurrency\.partitions/);
  });
});
