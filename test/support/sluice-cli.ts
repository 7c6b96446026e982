import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The project's root folder, from the compiled test/support folder (dist/test/support). */
export const PROJECT_ROOT = join(__dirname, '..', '..', '..');

export interface CliRun {
  /** The exit code; null when the process was killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bin/sluice.js` as a user would (the built CLI on the project's Node) and waits for it. */
export function runSluice(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number; cwd?: string } = {},
): CliRun {
  const result = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The JSON a run printed with `-o json`; fails the test (with its stderr) unless it exited 0. */
export function jsonOutput<T>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`sluice exited ${run.code}: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout) as T;
}

/** Whether `runSluiceOnTerminal` can run here: util-linux `script` gives the CLI a terminal. */
export function terminalAvailable(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs `bin/sluice.js` on a pseudo-terminal (util-linux `script`), typing `input` into it, for
 * the prompts a CLI shows only on a terminal. The terminal merges stdout and stderr into `stdout`
 * (with its control sequences); the exit code is the CLI's.
 */
export function runSluiceOnTerminal(
  args: readonly string[],
  input: string,
  options: { timeoutMs?: number } = {},
): CliRun {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args].map(quote).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    input,
    timeout: options.timeoutMs ?? 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
