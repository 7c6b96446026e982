// `sluice stack`: Jaeger and Prometheus are parts of the stack that `--no-observability` leaves
// out, and `status` lists them without failing when they are simply not running.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, PROJECT_ROOT } from './observability-harness';

describe('sluice stack: observability parts', () => {
  it('up --no-observability starts neither Jaeger nor Prometheus; status lists both as stopped', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sluice-obs-cli-'));
    const env = {
      ...process.env,
      SLUICE_HOME: home,
      SLUICE_JAEGER_PORT: String(await freePort()),
      SLUICE_PROMETHEUS_PORT: String(await freePort()),
    };
    const sluice = (args: string[]) =>
      spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
    try {
      const up = sluice(['stack', 'up', '--no-observability', 'jaeger', 'prometheus']);
      assert.equal(up.status, 0, up.stderr);
      assert.doesNotMatch(up.stdout, /jaeger|prometheus/);
      const status = sluice(['stack', 'status', '--output', 'json']);
      const parts = JSON.parse(status.stdout) as Array<{
        name: string;
        running: boolean;
        answering: boolean;
      }>;
      for (const name of ['jaeger', 'prometheus']) {
        const part = parts.find((p) => p.name === name);
        assert.ok(part, `${name} is a part of the stack`);
        assert.equal(part.running, false);
        assert.equal(part.answering, false);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
