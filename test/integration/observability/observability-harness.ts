// Shared by the observability suites: private stack parts (Kafka, Jaeger, Prometheus) on ports of
// their own under a temporary SLUICE_HOME, so stopping one never disturbs the shared stack, and the
// apps started as child processes (each its own OpenTelemetry SDK and service name).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Environment } from '@sluice/config';
import { LocalStack, stackLayout } from '@sluice/stack';
import { freePort } from '@sluice/test-support';

export { freePort } from '@sluice/test-support';

const ROOT = join(__dirname, '..', '..', '..');
export const PROJECT_ROOT = join(ROOT, '..');
export const SOURCE_MAIN = join(ROOT, 'apps', 'source-postgres', 'src', 'main.js');
export const TRANSFORMER_MAIN = join(ROOT, 'apps', 'transformer', 'src', 'main.js');
export const SINK_POSTGRES_MAIN = join(ROOT, 'apps', 'sink-postgres', 'src', 'main.js');
export const SINK_HTTP_MAIN = join(ROOT, 'apps', 'sink-http', 'src', 'main.js');

/**
 * A stack of its own: a temporary home, the given port variables (SLUICE_KAFKA_PORT, ...), the
 * machine-wide download cache shared with the main stack (Kafka jars, the Jaeger build).
 */
export function privateStack(env: Environment): LocalStack {
  const home = mkdtempSync(join(tmpdir(), 'sluice-obs-stack-'));
  return new LocalStack(stackLayout(PROJECT_ROOT, { ...process.env, ...env, SLUICE_HOME: home }), {
    log: (line) => process.stderr.write(`[private stack] ${line}\n`),
  });
}

/**
 * A Kafka broker of its own on free ports (retried: a port free a moment ago can be taken by
 * another process's outgoing connection before the broker binds it). Stop it with
 * `stack.down(['kafka'], { purge: true })`.
 */
export async function privateKafka(): Promise<{ stack: LocalStack; brokers: string[] }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const stack = privateStack({
      SLUICE_KAFKA_PORT: String(port),
      SLUICE_KAFKA_CONTROLLER_PORT: String(await freePort()),
      SLUICE_KAFKA_HEAP: '256m',
    });
    try {
      if ((await stack.up(['kafka'])).kafka !== 'started')
        throw new Error('the private broker did not start');
      return { stack, brokers: [`127.0.0.1:${port}`] };
    } catch (error) {
      await stack.down(['kafka']).catch(() => undefined);
      if (attempt === 3) throw error;
    }
  }
}

export interface RunningApp {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts an app's main.js with `config` (JSON is YAML) as its SLUICE_CONFIG. */
export function startApp(main: string, config: unknown): RunningApp {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-obs-app-')), 'app.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, SLUICE_CONFIG: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/** Polls `probe` until it returns a value (not undefined); fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The HTTP status of a GET (0 when nothing answers). */
export async function statusOf(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.body?.cancel().then(() => r.status) ?? r.status,
    () => 0,
  );
}
