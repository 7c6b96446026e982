// `sluice demo --two-way` as an automated test: the stack's two databases kept in step both ways by
// the four apps of `sluice sync plan`, each its own process, under random changes of the same keys
// on both sides; exit 0 only when both databases end equal row for row and neither topic moves
// once they agree (no echo). The live view's lines show the echoes each source dropped.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

const ROOT = join(__dirname, '..', '..', '..');

describe('sluice demo --two-way', () => {
  it(
    'keeps both databases in step under changes on both sides: equal at the end, no echo',
    { timeout: 300_000 },
    async () => {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'sluice.js'),
          'demo',
          '--two-way',
          '--duration',
          '10',
          '--rate',
          '30',
          '--no-observability',
        ],
        { cwd: ROOT, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, output.slice(-6000));
      assert.match(output, /ok +both databases equal row for row: \d+ accounts on each side/);
      assert.match(output, /ok +no echo: the topics stay still once both sides agree/);
      assert.match(output, /demo: both sides converged, no echo/);
      // Each source dropped the other side's sink writes: the echoes that would have been.
      const last = [
        ...output.matchAll(/echo skipped by source-b (\d+) \| b→a: .*echo skipped by source-a (\d+)/g),
      ].at(-1);
      assert.ok(last && Number(last[1]) > 0 && Number(last[2]) > 0, output.slice(-3000));
    },
  );
});
