import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs a service whose close never settles, sends it SIGTERM, and reports how the process ended. */
async function stopStuckService(exitDeadlineMs: number): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-run-service-'));
  const script = join(dir, 'stuck.js');
  writeFileSync(
    script,
    `const { runService } = require(${JSON.stringify(join(__dirname, 'run-service.js'))});
runService({
  name: 'stuck',
  loadConfig: () => ({}),
  start: async () => ({ close: () => new Promise(() => undefined) }),
  exitDeadlineMs: () => ${exitDeadlineMs},
});
// Ready once the service runs and listens for SIGTERM.
const ready = setInterval(() => {
  if (process.listenerCount('SIGTERM') > 0) {
    clearInterval(ready);
    console.log('ready');
    setInterval(() => undefined, 1000);
  }
}, 10);`,
  );
  try {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (exitCode) => {
        clearTimeout(killer);
        resolve(exitCode);
      });
    });
    return { code, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('runService', () => {
  it('exits once the drain of a SIGTERM takes longer than the exit deadline, saying so', async () => {
    const { code, stderr } = await stopStuckService(300);
    assert.equal(code, 0, 'a SIGTERM ends with 0 (not killed by the test after 20 s)');
    assert.match(stderr, /stuck: shutting down took over 300 ms; exiting without waiting further/);
  });
});
