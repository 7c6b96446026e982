import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { appProcessEnv } from '@sluice/config';

export interface AppProcessOptions {
  /** The app folder under dist/apps, e.g. `source-postgres`. */
  readonly app: string;
  /** What to call it (when one app runs twice). Default `app`. */
  readonly name?: string;
  readonly projectRoot: string;
  /** The app's YAML configuration. */
  readonly configFile: string;
  /** Where it listens, e.g. http://127.0.0.1:8101. */
  readonly url: string;
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Node's compile cache on, as `sluice run` has it (default), or off, as the image runs apps. */
  readonly compileCache?: boolean;
}

/**
 * One Sluice app run as its own process, as it is deployed (`node dist/apps/<app>/src/main.js` with
 * `SLUICE_CONFIG`), its output in a log file. Stopped with SIGTERM (the app drains and exits), and
 * SIGKILL only when it overruns the grace period.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(readonly options: AppProcessOptions) {}

  get name(): string {
    return this.options.name ?? this.options.app;
  }

  get url(): string {
    return this.options.url;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the process has exited (crashed, or stopped). */
  get hasExited(): boolean {
    return this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  start(): void {
    const { projectRoot, app, configFile, logFile } = this.options;
    mkdirSync(dirname(logFile), { recursive: true });
    const log = openSync(logFile, 'a');
    const child = spawn(process.execPath, [join(projectRoot, 'dist', 'apps', app, 'src', 'main.js')], {
      env: appProcessEnv(
        { ...process.env, ...this.options.env, SLUICE_CONFIG: configFile },
        { compileCache: this.options.compileCache !== false },
      ),
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    // Never an orphan: if this process ends first (a crash, a second Ctrl-C), the app goes too.
    const orphanGuard = () => child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        process.off('exit', orphanGuard);
        resolve(code);
      }),
    );
  }

  /** Waits until `/health/ready` answers 200; rejects naming the app when it exits or times out. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.hasExited)
        throw new Error(
          `${this.name} exited with code ${this.child!.exitCode} (log: ${this.options.logFile})`,
        );
      try {
        const response = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready within ${timeoutMs / 1000} s (log: ${this.options.logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** `GET path` as JSON, or undefined when the app does not answer. */
  async get<T>(path: string): Promise<T | undefined> {
    try {
      const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) return undefined;
      return (await response.json()) as T;
    } catch {
      return undefined;
    }
  }

  /** `POST path` (no body); true when it answered 2xx. */
  async post(path: string): Promise<boolean> {
    try {
      const response = await fetch(`${this.url}${path}`, {
        method: 'POST',
        signal: AbortSignal.timeout(2000),
      });
      return response.ok;
    } catch {
      return false;
    }
  }

  /** `GET /metrics` as text, or undefined. */
  async metrics(): Promise<string | undefined> {
    try {
      const response = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(2000) });
      return response.ok ? await response.text() : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9: no drain, no goodbye (what a crash or an OOM kill does). Resolves when it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.hasExited) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (child === undefined || this.hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
