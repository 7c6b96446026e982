import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `body` (a script calling `runService`) in a child process, sends it SIGTERM once it printed
 * its first line, then writes a line to its stdin, and reports how the process ended.
 */
async function terminate(
  body: string,
  signals: readonly NodeJS.Signals[] = ['SIGTERM'],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-run-service-'));
  const script = join(dir, 'service.js');
  writeFileSync(
    script,
    `const { runService } = require(${JSON.stringify(join(__dirname, 'run-service.js'))});\n${body}`,
  );
  try {
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        resolve();
      }),
    );
    for (const [i, signal] of signals.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      child.kill(signal);
    }
    child.stdin.write('go\n');
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (exitCode) => {
        clearTimeout(killer);
        resolve(exitCode);
      });
    });
    return { code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a service whose close never settles, sends it SIGTERM, and reports how the process ended. */
function stopStuckService(exitDeadlineMs: number): Promise<{ code: number | null; stderr: string }> {
  return terminate(`runService({
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
}, 10);`);
}

describe('runService', () => {
  it('drains to the end when a second SIGINT comes during the drain (Ctrl-C under `sluice run` sends two)', async () => {
    const { code, stdout } = await terminate(
      `runService({
  name: 'twice',
  loadConfig: () => ({}),
  start: async () => {
    console.log('started');
    return { close: () => new Promise((resolve) => setTimeout(() => resolve(console.log('closed')), 300)) };
  },
});
setInterval(() => undefined, 1000);`,
      ['SIGINT', 'SIGINT'],
    );
    assert.equal(code, 0, 'not ended by the second signal');
    assert.match(stdout, /started\nclosed\n/);
  });

  it('exits once the drain of a SIGTERM takes longer than the exit deadline, saying so', async () => {
    const { code, stderr } = await stopStuckService(300);
    assert.equal(code, 0, 'a SIGTERM ends with 0 (not killed by the test after 20 s)');
    assert.match(stderr, /stuck: shutting down took over 300 ms; exiting without waiting further/);
  });

  it('takes a SIGTERM that comes while the service starts: the start finishes, then it drains and exits 0', async () => {
    // The start goes on once the test wrote to stdin, which it does after the SIGTERM.
    const { code, stdout } = await terminate(`runService({
  name: 'slow',
  loadConfig: () => ({}),
  start: async () => {
    console.log('starting');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    console.log('started');
    return { close: async () => console.log('closed') };
  },
});`);
    assert.equal(code, 0, 'not killed by the signal (exit 143)');
    assert.match(stdout, /starting\nstarted\nclosed\n/);
  });

  it('exits 143 at the deadline when a SIGTERM comes during a start that never finishes, saying so', async () => {
    const { code, stderr } = await terminate(`runService({
  name: 'hung',
  loadConfig: () => ({}),
  start: () => {
    console.log('starting');
    return new Promise(() => undefined);
  },
  exitDeadlineMs: () => 300,
});
setInterval(() => undefined, 1000);`);
    assert.equal(code, 143, 'nothing was drained: not the clean stop');
    assert.match(stderr, /hung: still starting 300 ms after the signal; exiting, nothing drained/);
  });
});
