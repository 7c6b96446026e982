import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { type StackLayout } from '../stack-layout';
import { describePart, type PartStatus, type StackPart, type StartOutcome } from '../stack-part';
import { livePid, portHolder, removeFile, stopProcess, waitUntil } from '../process-control';

/** Where a spawned part listens, and how a person moves it when the port is taken. */
export interface SpawnedPartListener {
  readonly host: string;
  readonly port: number;
  /** The part as messages name it, e.g. `Jaeger`. */
  readonly label: string;
  /** The environment variable that moves the port, e.g. `SLUICE_JAEGER_PORT`. */
  readonly portVariable: string;
}

/**
 * A part that is one process of our own (the registry, Jaeger, Prometheus): a folder under the
 * stack home with its pid and log files, started detached unless one is running already or
 * something else answers on its port, ready when its HTTP probe says so, stopped by its pid.
 * Subclasses say how to launch it and how to probe it.
 */
export abstract class SpawnedPart implements StackPart {
  abstract readonly name: string;
  protected readonly dir: string;
  /** Time a stop waits for the process to exit after SIGTERM before SIGKILL. */
  protected readonly stopTimeoutMs: number = 10_000;

  protected constructor(
    protected readonly layout: StackLayout,
    private readonly folder: string,
  ) {
    this.dir = join(layout.home, folder);
  }

  abstract get address(): string;
  protected abstract get listener(): SpawnedPartListener;

  /** Answers `ok` once the part serves; `detail` is what `stack status` shows. */
  abstract probe(): Promise<{ ok: boolean; detail?: string }>;

  /** Writes the part's configuration and spawns it detached (spawnDetached with pidFile and logFile). */
  protected abstract launch(): Promise<void> | void;

  get logFile(): string {
    return join(this.dir, `${this.folder}.log`);
  }

  protected get pidFile(): string {
    return join(this.dir, `${this.folder}.pid`);
  }

  status(): Promise<PartStatus> {
    return describePart(this, livePid(this.pidFile), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    let outcome: StartOutcome = 'started';
    const { host, port, label, portVariable } = this.listener;
    if (livePid(this.pidFile) !== undefined) outcome = 'already-running';
    else if (
      (await portHolder(host, port, () => this.probe().catch(() => ({ ok: false })), label, portVariable)) ===
      'answering'
    )
      return 'answering-externally';
    else await this.launch();
    const ready = await waitUntil(async () => (await this.probe()).ok, {
      timeoutMs: this.layout.startTimeoutSeconds * 1000,
      stillRunning: () => livePid(this.pidFile) !== undefined,
    });
    if (!ready.ok)
      throw new EnvironmentError(
        `${label} at ${this.address} did not come up: ${ready.reason}; see ${this.logFile}`,
        { code: 'PART_NOT_READY' },
      );
    return outcome;
  }

  async stop(): Promise<boolean> {
    const pid = livePid(this.pidFile);
    removeFile(this.pidFile);
    if (pid === undefined) return false;
    await stopProcess(pid, this.stopTimeoutMs);
    return true;
  }
}
