import { type ChildProcess } from 'node:child_process';

/** Resolves once `child` exited, also when it already had (by a signal too: no exit code then). */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
}
