import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStack, type PartName, stackLayout } from '@sluice/stack';
import { freePort, PROJECT_ROOT } from '@sluice/test-support';

const PARTS: PartName[] = ['postgres', 'kafka', 'registry'];

/** Where the chaos stack answers. */
export interface ChaosAddresses {
  readonly kafkaBrokers: string[];
  readonly kafkaPort: number;
  readonly postgres: { host: string; port: number; user: string; password: string };
  readonly registryUrl: string;
}

/** A fault that could not be injected on this machine, with the reason (reported, never hidden). */
export class FaultNotInjectedError extends Error {}

/**
 * The chaos suite's own local stack: Kafka, Postgres and the schema registry on free ports, under a
 * SLUICE_HOME in a temporary folder (the Kafka jars come from the shared cache). Its broker is
 * killed and its Postgres restarted; the shared stack (9092, 9093, 5433, 8081) is never touched.
 */
export class ChaosStack {
  readonly stack: LocalStack;

  private constructor(
    /** The run's folder: the stack's home, the apps' configurations and logs. */
    readonly runDir: string,
    readonly env: Readonly<Record<string, string>>,
    readonly addresses: ChaosAddresses,
    private readonly log: (line: string) => void,
  ) {
    this.stack = new LocalStack(stackLayout(PROJECT_ROOT, { ...process.env, ...env }), {
      log: (line) => log(`[chaos stack] ${line}`),
    });
  }

  /** Picks free ports and a temporary home; nothing runs yet. */
  static async create(log: (line: string) => void): Promise<ChaosStack> {
    const runDir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
    // Postgres runs as the `postgres` account when we are root: it must reach its data folder here.
    chmodSync(runDir, 0o755);
    const home = join(runDir, 'stack');
    mkdirSync(home, { recursive: true });
    const [kafkaPort, controllerPort, postgresPort, registryPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env = {
      SLUICE_HOME: home,
      SLUICE_KAFKA_PORT: String(kafkaPort),
      SLUICE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      SLUICE_POSTGRES_PORT: String(postgresPort),
      SLUICE_REGISTRY_PORT: String(registryPort),
    };
    return new ChaosStack(
      runDir,
      env,
      {
        kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
        kafkaPort,
        postgres: { host: '127.0.0.1', port: postgresPort, user: 'postgres', password: 'postgres' },
        registryUrl: `http://127.0.0.1:${registryPort}`,
      },
      log,
    );
  }

  async up(): Promise<void> {
    await this.stack.up(PARTS);
  }

  /** kill -9 of the broker's process group; resolves once it is gone. */
  async killBroker(): Promise<void> {
    const { pid } = await this.stack.parts.kafka.status();
    if (pid === undefined) throw new Error('the chaos broker is not running: nothing to kill');
    killGroup(pid, 'SIGKILL');
    await gone(pid, 10_000);
  }

  /** Starts the broker again (`sluice stack up kafka` on the chaos layout); resolves when it answers. */
  async startBroker(): Promise<void> {
    await this.stack.up(['kafka']);
  }

  /**
   * Stops Postgres as `pg_ctl stop -m fast` does (SIGINT to the postmaster: every session cut, a
   * shutdown checkpoint), or, when that takes over 10 s (a walsender still sending WAL to a lagging
   * logical client holds the shutdown back), as `-m immediate` does (SIGQUIT: a crash, recovered at
   * the next start). Starts it again after `outageMs` with `sluice stack up postgres` in a child
   * process (pg_ctl runs synchronously there and would stop this process's clock). Returns how it
   * stopped.
   */
  async restartPostgres(outageMs: number): Promise<string> {
    const { pid } = await this.stack.parts.postgres.status();
    if (pid === undefined) throw new Error('the chaos Postgres is not running: nothing to restart');
    const started = Date.now();
    let how = 'fast shutdown';
    process.kill(pid, 'SIGINT');
    if (!(await gone(pid, 10_000))) {
      process.kill(pid, 'SIGQUIT');
      how = 'immediate shutdown (a fast one had not finished after 10 s)';
      if (!(await gone(pid, 10_000))) throw new Error(`Postgres (pid ${pid}) did not stop on SIGQUIT`);
    }
    how += ` in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    await sleep(outageMs);
    await this.sluice(['stack', 'up', 'postgres']);
    return how;
  }

  /**
   * Cuts every TCP connection to `port` on this machine (`ss -K`, as root: the clients' sockets
   * fail with ECONNABORTED). Returns how many it cut.
   */
  async dropConnections(port: number): Promise<number> {
    const result = await run('ss', ['-K', '-t', '-n', 'dst', '127.0.0.1', 'dport', '=', String(port)]);
    if (result.code !== 0 || result.stderr.trim() !== '') {
      throw new FaultNotInjectedError(
        `ss -K refused (exit ${result.code}): ${result.stderr.trim() || 'no output'}; run as root on a kernel with INET_DIAG_DESTROY`,
      );
    }
    return Math.max(0, result.stdout.trim().split('\n').length - 1);
  }

  /** Starts the registry again when its process died (as Kubernetes would); true when it did. */
  async reviveRegistry(): Promise<boolean> {
    const status = await this.stack.parts.registry.status();
    if (status.running) return false;
    await this.stack.up(['registry']);
    return true;
  }

  /** Stops every part and deletes the stack's data; the run folder stays when `keepLogs`. */
  async down(options: { keepLogs: boolean }): Promise<void> {
    try {
      await this.stack.down(PARTS, { purge: true });
    } catch (error) {
      this.log(`[chaos stack] stopping failed (${(error as Error).message}); killing what is left`);
      for (const name of PARTS) {
        const { pid } = await this.stack.parts[name].status().catch(() => ({ pid: undefined }));
        if (pid !== undefined) killGroup(pid, 'SIGKILL');
      }
    }
    rmSync(join(this.runDir, 'stack'), { recursive: true, force: true });
    if (!options.keepLogs) rmSync(this.runDir, { recursive: true, force: true });
  }

  private async sluice(args: string[]): Promise<void> {
    const result = await run(process.execPath, [join(PROJECT_ROOT, 'bin', 'sluice.js'), ...args], {
      ...process.env,
      ...this.env,
    });
    if (result.code !== 0)
      throw new Error(`sluice ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A command run to its end without blocking this process, its output collected. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', (error) => resolve({ code: null, stdout, stderr: stderr + error.message }));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
