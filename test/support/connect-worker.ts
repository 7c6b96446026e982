// A Kafka Connect 4.1.2 standalone worker with the Debezium Postgres connector on its classpath,
// both from Maven Central (fetched once into the stack's cache, as `sluice stack` fetches Kafka),
// writing to the local stack's Kafka. It starts with no connector: connectors are added and removed
// over its REST API, so several peers can share one JVM (a bench's runs) or each have its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envFlag } from '@sluice/config';
import { MavenClasspath, requireJava, stackLayout } from '@sluice/stack';
import { stackAddresses } from './addresses';
import { freePort } from './ports';
import { PROJECT_ROOT } from './sluice-cli';

export const DEBEZIUM_VERSION = '3.6.1.Final';
export const CONNECT_VERSION = '4.1.2';

/** The jars of Kafka Connect (runtime + JsonConverter) and the Debezium Postgres connector. */
export function debeziumClasspath(): MavenClasspath {
  return new MavenClasspath(
    stackLayout(PROJECT_ROOT).cacheDir,
    `debezium-${DEBEZIUM_VERSION}-connect-${CONNECT_VERSION}`,
    [
      { groupId: 'io.debezium', artifactId: 'debezium-connector-postgres', version: DEBEZIUM_VERSION },
      { groupId: 'org.apache.kafka', artifactId: 'connect-runtime', version: CONNECT_VERSION },
      { groupId: 'org.apache.kafka', artifactId: 'connect-json', version: CONNECT_VERSION },
      // Connect logs through SLF4J; log4j (which the runtime brings) needs its bridge.
      { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.24.3' },
    ],
    `Kafka Connect ${CONNECT_VERSION} with Debezium ${DEBEZIUM_VERSION}`,
  );
}

/**
 * Why a Debezium peer cannot run here (no Java 17, no Maven, the jars not fetchable), or undefined
 * when it can. Fetches the jars the first time.
 */
export function debeziumUnavailable(log: (line: string) => void = () => undefined): string | undefined {
  try {
    requireJava(17);
    debeziumClasspath().ensureInstalled(log);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export interface ConnectWorkerOptions {
  /** JVM heap limit, `-Xmx`. */
  readonly heap?: string;
  /**
   * 'quick-start' (the default) stops the JIT at C1: a worker that lives for one test starts
   * sooner. 'steady' keeps HotSpot's full tiered compilation, as a long-running Connect worker in
   * production has: the fair setting for a throughput comparison.
   */
  readonly jit?: 'quick-start' | 'steady';
}

export interface ConnectorStatus {
  connector?: { state?: string; trace?: string };
  tasks?: { state?: string; trace?: string }[];
}

/** A running Kafka Connect standalone worker. */
export class ConnectWorker {
  private constructor(
    private readonly child: ChildProcess,
    private readonly workDir: string,
    readonly restUrl: string,
  ) {}

  get logFile(): string {
    return join(this.workDir, 'connect.log');
  }

  /** Starts the JVM; resolves once its REST API answers. */
  static async start(options: ConnectWorkerOptions = {}): Promise<ConnectWorker> {
    const java = requireJava(17);
    const jars = debeziumClasspath();
    jars.ensureInstalled();
    const workDir = mkdtempSync(join(tmpdir(), 'sluice-debezium-'));
    const port = await freePort();
    const worker = {
      'bootstrap.servers': stackAddresses().kafkaBrokers.join(','),
      // Each connector names its own converters; these are the worker's defaults.
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      // Connectors' offsets, by connector name: peers sharing the worker keep theirs apart.
      'offset.storage.file.filename': join(workDir, 'offsets.dat'),
      'offset.flush.interval.ms': '1000',
      listeners: `http://127.0.0.1:${port}`,
      // Every class is on the classpath: no plugin folders to scan.
      'plugin.discovery': 'only_scan',
    };
    writeFileSync(join(workDir, 'worker.properties'), properties(worker), { mode: 0o600 });
    writeFileSync(join(workDir, 'log4j2.properties'), LOG4J2_PROPERTIES);
    const log = openSync(join(workDir, 'connect.log'), 'a');
    // Its own process group, so stop() ends the JVM and anything it started with one signal.
    const child = spawn(
      java,
      [
        '-Xms128m',
        `-Xmx${options.heap ?? '512m'}`,
        '-XX:+UseSerialGC',
        ...((options.jit ?? 'quick-start') === 'quick-start' ? ['-XX:TieredStopAtLevel=1'] : []),
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(workDir, 'log4j2.properties')}`,
        '-cp',
        jars.classpath,
        'org.apache.kafka.connect.cli.ConnectStandalone',
        join(workDir, 'worker.properties'),
      ],
      { cwd: workDir, detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const connect = new ConnectWorker(child, workDir, `http://127.0.0.1:${port}`);
    LIVE.add(connect);
    try {
      await connect.awaitRest(180_000);
    } catch (error) {
      await connect.stop();
      throw error;
    }
    return connect;
  }

  exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private async awaitRest(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited()) throw new Error(`Kafka Connect exited: ${this.logTail()}`);
      const up = await fetch(`${this.restUrl}/connectors`).then(
        (r) => r.ok,
        () => false, // the REST listener is not up yet
      );
      if (up) return;
      if (Date.now() > deadline)
        throw new Error(`Kafka Connect's REST API not up within ${timeoutMs} ms: ${this.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Creates connector `name` with `config` (PUT, so a second call replaces its config). */
  async putConnector(name: string, config: Readonly<Record<string, string>>): Promise<void> {
    const response = await fetch(`${this.restUrl}/connectors/${encodeURIComponent(name)}/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...config, name }),
    });
    if (!response.ok)
      throw new Error(`Kafka Connect refused connector ${name}: ${response.status} ${await response.text()}`);
  }

  /** Stops and removes connector `name`; one that does not exist is not an error. */
  async deleteConnector(name: string): Promise<void> {
    if (this.exited()) return;
    const response = await fetch(`${this.restUrl}/connectors/${encodeURIComponent(name)}`, {
      method: 'DELETE',
    });
    if (!response.ok && response.status !== 404)
      throw new Error(
        `Kafka Connect did not delete connector ${name}: ${response.status} ${await response.text()}`,
      );
  }

  async connectorStatus(name: string): Promise<ConnectorStatus | undefined> {
    try {
      const response = await fetch(`${this.restUrl}/connectors/${encodeURIComponent(name)}/status`);
      return response.ok ? ((await response.json()) as ConnectorStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The last lines of the worker's log. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Ends the JVM (SIGTERM, SIGKILL after 20 s) and removes its folder; idempotent. */
  async stop(): Promise<void> {
    if (!LIVE.delete(this)) return;
    if (!this.exited() && this.child.pid !== undefined) {
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      signalGroup(this.child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.child.pid!, 'SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    // SLUICE_KEEP_DEBEZIUM_LOGS=1 keeps the worker's folder (log, properties) to look at afterwards.
    if (!envFlag('SLUICE_KEEP_DEBEZIUM_LOGS', false)) rmSync(this.workDir, { recursive: true, force: true });
  }

  /** Ends the JVM at once, when the test process exits without stopping it. */
  kill(): void {
    if (this.child.pid !== undefined) signalGroup(this.child.pid, 'SIGKILL');
  }
}

/** Workers not stopped yet: ended with the test process when it exits (not when a signal kills it). */
const LIVE = new Set<ConnectWorker>();
process.once('exit', () => {
  for (const worker of LIVE) worker.kill();
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function properties(values: Record<string, string>): string {
  // java.util.Properties: backslashes escape, so a Windows-style path or a regex keeps its `\`.
  return `${Object.entries(values)
    .map(([key, value]) => `${key}=${value.replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;
}

// Properties, not YAML: log4j reads YAML through jackson-dataformat-yaml, which Connect lacks.
const LOG4J2_PROPERTIES = `appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = STDOUT
logger.debezium.name = io.debezium
logger.debezium.level = INFO
`;
