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
