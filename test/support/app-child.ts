import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import { stopChild } from './child-stop';

/**
 * A connector app as a child process (`node <main.js>` with SLUICE_CONFIG), started again after
 * each kill with the same configuration: what the crash suites kill -9. Keeps the last 20,000
 * characters of its output for the failure message.
 */
export class AppChild {
  private child: ChildProcess | undefined;
  private out = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'sluice-app-child-'));

  constructor(
    private readonly main: string,
    private readonly config: object,
  ) {}

  start(): void {
    const file = join(this.dir, 'app.yaml');
    writeFileSync(file, JSON.stringify(this.config));
    this.child = spawn(process.execPath, [this.main], {
      env: appProcessEnv({ ...process.env, SLUICE_CONFIG: file }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (this.out = (this.out + d.toString('utf8')).slice(-20_000));
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
  }

  /** Sends `signal` and waits until the process is gone (SIGKILL after 15 s). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child) await stopChild(this.child, signal, 15_000);
  }

  output(): string {
    return this.out;
  }

  /** Removes the configuration file's folder (after the last kill). */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
