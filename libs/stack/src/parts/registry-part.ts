import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { type StackLayout } from '../stack-layout';
import { describePart, type PartStatus, type StackPart, type StartOutcome } from '../stack-part';
import { livePid, portHolder, removeFile, spawnDetached, stopProcess, waitUntil } from '../process-control';

/**
 * Sluice's own schema registry (apps/schema-registry, the Confluent REST API), run as its own
 * process from the compiled app with the stack's Postgres as storage.
 */
export class RegistryPart implements StackPart {
  readonly name = 'registry';
  private readonly dir: string;

  constructor(private readonly layout: StackLayout) {
    this.dir = join(layout.home, 'registry');
  }

  get address(): string {
    return `http://${this.layout.registry.host}:${this.layout.registry.port}`;
  }

  get logFile(): string {
    return join(this.dir, 'registry.log');
  }

  private get pidFile(): string {
    return join(this.dir, 'registry.pid');
  }

  /** The compiled registry app; `npm run build` makes it. */
  get entryPoint(): string {
    return join(this.layout.projectRoot, 'dist', 'apps', 'schema-registry', 'src', 'main.js');
  }

  status(): Promise<PartStatus> {
    return describePart(this, livePid(this.pidFile), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    let outcome: StartOutcome = 'started';
    if (livePid(this.pidFile) !== undefined) {
      outcome = 'already-running';
    } else if (
      (await portHolder(
        this.layout.registry.host,
        this.layout.registry.port,
        () => this.probe().catch(() => ({ ok: false })),
        'schema registry',
        'SLUICE_REGISTRY_PORT',
      )) === 'answering'
    ) {
      return 'answering-externally';
    } else {
      if (!existsSync(this.entryPoint)) {
        throw new EnvironmentError(
          `the schema registry is not built (${this.entryPoint} is missing); run npm run build`,
          { code: 'NOT_BUILT' },
        );
      }
      mkdirSync(this.dir, { recursive: true });
      const configFile = join(this.dir, 'registry.yaml');
      writeFileSync(configFile, this.configYaml());
      spawnDetached(process.execPath, [this.entryPoint], {
        logFile: this.logFile,
        pidFile: this.pidFile,
        cwd: this.layout.projectRoot,
        env: { ...process.env, SLUICE_CONFIG: configFile },
      });
    }
    const ready = await waitUntil(async () => (await this.probe()).ok, {
      timeoutMs: this.layout.startTimeoutSeconds * 1000,
      stillRunning: () => livePid(this.pidFile) !== undefined,
    });
    if (!ready.ok) {
      throw new EnvironmentError(
        `schema registry at ${this.address} did not come up: ${ready.reason}; see ${this.logFile}`,
        {
          code: 'PART_NOT_READY',
        },
      );
    }
    return outcome;
  }

  async stop(): Promise<boolean> {
    const pid = livePid(this.pidFile);
    removeFile(this.pidFile);
    if (pid === undefined) return false;
    await stopProcess(pid, 15_000);
    return true;
  }

  /** The registry answers when `GET /subjects` is 200. */
  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const response = await fetch(`${this.address}/subjects`, { signal: AbortSignal.timeout(2000) });
    const body = response.ok ? ((await response.json()) as unknown[]) : [];
    return {
      ok: response.ok,
      detail: response.ok ? `${body.length} subject(s)` : `GET /subjects answered ${response.status}`,
    };
  }

  private configYaml(): string {
    const { postgres, registry } = this.layout;
    return `# Written by sluice stack on every start.
http:
  host: ${registry.host}
  port: ${registry.port}
database:
  host: ${postgres.host}
  port: ${postgres.port}
  user: ${postgres.user}
  password: ${postgres.password}
  database: registry
`;
  }
}
