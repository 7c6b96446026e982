// sink-http refuses bad configuration at start-up with exit code 1 and a message naming the file
// and the YAML path, before it connects anywhere; a secret missing from the environment names the
// variable and where it is used.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SINK_HTTP_MAIN } from './sink-http/sink-http-harness';

function start(
  yaml: string,
  env: Record<string, string> = {},
): { code: number | null; stderr: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-http-config-'));
  const file = join(dir, 'sink-http.yaml');
  writeFileSync(file, yaml);
  const { CRM_TOKEN: _drop, ...rest } = process.env;
  const result = spawnSync(process.execPath, [SINK_HTTP_MAIN], {
    env: { ...rest, ...env, SLUICE_CONFIG: file },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stderr: result.stderr, file };
}

const BASE = 'group: g\ntopics: [t]\nhttp: { port: 0 }\nlogging: { level: silent }\n';

describe('sink-http: bad configuration', () => {
  it('an invalid destination setting: exit 1 naming the file and the path', () => {
    const { code, stderr, file } = start(
      `${BASE}destinations:\n  - { name: crm, url: 'https://x', retry: { maxAttempts: 0 } }\n`,
    );
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(file), stderr);
    assert.match(stderr, /destinations\[0\]\.retry\.maxAttempts/);
  });

  it('a template that does not parse: exit 1 naming the path', () => {
    const { code, stderr } = start(`${BASE}destinations:\n  - { name: crm, url: 'https://x/{{ id == }}' }\n`);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /destinations\[0\]\.url: invalid template/);
  });

  it('a missing secret: exit 1 naming the variable and where it is used', () => {
    const yaml = `${BASE}destinations:\n  - { name: crm, url: 'https://x', auth: { type: bearer, token: '\${CRM_TOKEN}' } }\n`;
    const { code, stderr } = start(yaml);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /destinations\[0\]\.auth\.token: environment variable CRM_TOKEN is not set/);
  });

  it('no destination, duplicate names: exit 1 naming the path', () => {
    assert.match(
      start(`${BASE}destinations: []\n`).stderr,
      /destinations: expected at least one destination/,
    );
    const dup = start(
      `${BASE}destinations:\n  - { name: a, url: 'https://x' }\n  - { name: a, url: 'https://y' }\n`,
    );
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /destinations: destination names must be unique/);
  });
});
