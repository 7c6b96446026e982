import { spawn, type SpawnOptions } from 'node:child_process';
import { EnvironmentError } from '@sluice/errors';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection } from 'node:net';

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid in the file when that process is still alive. */
export function livePid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isProcessAlive(pid) ? pid : undefined;
}

/**
 * Starts a long-running process detached from this one (its own process group, output appended to
 * a log file), so it outlives `sluice stack up`; records its pid.
 */
export function spawnDetached(
  command: string,
  args: string[],
  options: {
    logFile: string;
    pidFile: string;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    uid?: number;
    gid?: number;
  },
): number {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', log, log],
    uid: options.uid,
    gid: options.gid,
  };
  const child = spawn(command, args, spawnOptions);
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone. */
export async function stopProcess(
  pid: number,
  graceMs = 30_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(100);
  }
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `probe` until it resolves true. Fails with the last probe error (or a timeout) once
 * `timeoutMs` has passed, or early when `stillRunning` says the process died.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; stillRunning?: () => boolean },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'did not answer';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return { ok: true };
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (options.stillRunning && !options.stillRunning()) return { ok: false, reason: 'the process exited' };
    await sleep(options.intervalMs ?? 500);
  }
  return { ok: false, reason: `no answer within ${Math.round(options.timeoutMs / 1000)}s (${lastError})` };
}

/** The last `lines` lines of a text file ('' when it does not exist). */
export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all.slice(-lines).join('\n');
}

/**
 * Who holds a part's port before we start it: nobody (`free`), a server of the right kind
 * (`answering`; waited for a few seconds, as it may be starting up), or something else, which is an
 * error naming the port and the variable that moves it.
 */
export async function portHolder(
  host: string,
  port: number,
  probe: () => Promise<{ ok: boolean }>,
  what: string,
  variable: string,
): Promise<'free' | 'answering'> {
  if (!(await isPortOpen(host, port))) return 'free';
  const answered = await waitUntil(async () => (await probe()).ok, { timeoutMs: 15_000, intervalMs: 500 });
  if (answered.ok) return 'answering';
  throw new EnvironmentError(
    `port ${port} (${what}) is in use by another process; stop it or set ${variable} to another port`,
    {
      code: 'PORT_IN_USE',
    },
  );
}
