import { type ChildProcess } from 'node:child_process';

/** Whether `child` has exited (by a signal too: it has no exit code then). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves once `child` exited, also when it already had. */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (hasExited(child) ? resolve() : child.once('exit', () => resolve())));
}

/**
 * Sends `signal` (SIGTERM: the app's graceful stop) and waits until `child` is gone, with SIGKILL
 * after `killAfterMs`; nothing to do for a child already gone.
 */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  killAfterMs = 20_000,
): Promise<void> {
  if (hasExited(child)) return;
  const gone = exited(child);
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await gone;
  clearTimeout(killer);
}
