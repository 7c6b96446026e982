// The real Debezium Postgres connector beside Sluice, for the conformance suite and the benches:
// Kafka Connect 4.1.2 standalone with io.debezium:debezium-connector-postgres 3.6.1.Final, both
// from Maven Central (fetched once into the stack's cache, as `sluice stack` fetches Kafka),
// writing JsonConverter records with schemas to the local stack's Kafka. Each peer has its own
// connector name, slot, publication and topic prefix; `stop` ends the JVM (its whole process
// group) and drops the slot and publication it made.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { envFlag } from '@sluice/config';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
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

export interface DebeziumPeerOptions {
  /** Connector name; also the slot, publication and topic prefix unless those are given. */
  readonly name: string;
  readonly topicPrefix?: string;
  readonly slot?: string;
  readonly publication?: string;
  /** `schema.table` names (Debezium's table.include.list). */
  readonly tables: readonly string[];
  readonly database?: string;
  /** More connector settings, or overrides (`snapshot.mode`, `skipped.operations`, …). */
  readonly settings?: Readonly<Record<string, string>>;
  /** JVM heap limit, `-Xmx`. */
  readonly heap?: string;
  /**
   * JsonConverter's schemas.enable for keys and values: true (the default) writes each record's
   * Connect schema beside its payload; false the payload alone, Connect's lightest setting.
   */
  readonly schemas?: boolean;
}

interface ConnectorStatus {
  connector?: { state?: string; trace?: string };
  tasks?: { state?: string; trace?: string }[];
}

/** A running Kafka Connect standalone worker with one Debezium Postgres connector. */
export class DebeziumPeer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly workDir: string,
    readonly restUrl: string,
    readonly name: string,
    readonly topicPrefix: string,
    readonly slot: string,
    readonly publication: string,
    private readonly database: string,
    /** What existed before the peer started is the caller's: stop() leaves it. */
    private readonly existing: { slot: boolean; publication: boolean },
  ) {}

  get logFile(): string {
    return join(this.workDir, 'connect.log');
  }

  /** `<prefix>.<schema>.<table>`, the topic Debezium writes a table's changes to. */
  topic(schemaTable: string): string {
    return `${this.topicPrefix}.${schemaTable}`;
  }

  /**
   * Starts the worker and the connector; resolves once the connector's task is RUNNING (it may
   * still be snapshotting: read its topics to know how far it is). Rejects with the task's trace
   * or the log's tail when the worker exits or the task fails.
   */
  static async start(options: DebeziumPeerOptions): Promise<DebeziumPeer> {
    const java = requireJava(17);
    const jars = debeziumClasspath();
    jars.ensureInstalled();
    const stack = stackAddresses();
    const workDir = mkdtempSync(join(tmpdir(), 'sluice-debezium-'));
    const port = await freePort();
    const topicPrefix = options.topicPrefix ?? options.name;
    const slot = options.slot ?? options.name;
    const publication = options.publication ?? options.name;
    const database = options.database ?? 'source';
    const existing = await existingSlotAndPublication(database, slot, publication);
    const worker = {
      'bootstrap.servers': stack.kafkaBrokers.join(','),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': String(options.schemas ?? true),
      'value.converter.schemas.enable': String(options.schemas ?? true),
      'offset.storage.file.filename': join(workDir, 'offsets.dat'),
      'offset.flush.interval.ms': '1000',
      listeners: `http://127.0.0.1:${port}`,
      // Every class is on the classpath: no plugin folders to scan.
      'plugin.discovery': 'only_scan',
    };
    const connector = {
      name: options.name,
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      'database.hostname': stack.postgres.host,
      'database.port': String(stack.postgres.port),
      'database.user': stack.postgres.user,
      'database.password': stack.postgres.password,
      'database.dbname': database,
      'topic.prefix': topicPrefix,
      'plugin.name': 'pgoutput',
      'slot.name': slot,
      'publication.name': publication,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': options.tables.join(','),
      // The stack's broker creates no topics on its own; Connect creates them (one partition, as
      // Debezium's own examples).
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
      ...options.settings,
    };
    writeFileSync(join(workDir, 'worker.properties'), properties(worker), { mode: 0o600 });
    writeFileSync(join(workDir, 'connector.properties'), properties(connector), { mode: 0o600 });
    writeFileSync(join(workDir, 'log4j2.properties'), LOG4J2_PROPERTIES);
    const log = openSync(join(workDir, 'connect.log'), 'a');
    // Its own process group, so stop() ends the JVM and anything it started with one signal.
    const child = spawn(
      java,
      [
        '-Xms128m',
        `-Xmx${options.heap ?? '512m'}`,
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(workDir, 'log4j2.properties')}`,
        '-cp',
        jars.classpath,
        'org.apache.kafka.connect.cli.ConnectStandalone',
        join(workDir, 'worker.properties'),
        join(workDir, 'connector.properties'),
      ],
      { cwd: workDir, detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const peer = new DebeziumPeer(
      child,
      workDir,
      `http://127.0.0.1:${port}`,
      options.name,
      topicPrefix,
      slot,
      publication,
      database,
      existing,
    );
    LIVE.add(peer);
    try {
      await peer.awaitRunning(180_000);
    } catch (error) {
      await peer.stop();
      throw error;
    }
    return peer;
  }

  private exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private async status(): Promise<ConnectorStatus | undefined> {
    try {
      const response = await fetch(`${this.restUrl}/connectors/${encodeURIComponent(this.name)}/status`);
      return response.ok ? ((await response.json()) as ConnectorStatus) : undefined;
    } catch {
      return undefined; // the REST listener is not up yet
    }
  }

  private async awaitRunning(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited()) throw new Error(`Kafka Connect exited: ${this.logTail()}`);
      const status = await this.status();
      const task = status?.tasks?.[0];
      if (task?.state === 'FAILED' || status?.connector?.state === 'FAILED')
        throw new Error(`Debezium connector ${this.name} failed: ${task?.trace ?? status?.connector?.trace}`);
      if (status?.connector?.state === 'RUNNING' && task?.state === 'RUNNING') return;
      if (Date.now() > deadline)
        throw new Error(
          `Debezium connector ${this.name} not running within ${timeoutMs} ms (${JSON.stringify(status)}): ${this.logTail()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Throws when the connector's task failed (its trace), so a test does not wait in vain. */
  async assertHealthy(): Promise<void> {
    if (this.exited()) throw new Error(`Kafka Connect exited: ${this.logTail()}`);
    const task = (await this.status())?.tasks?.[0];
    if (task?.state === 'FAILED') throw new Error(`Debezium connector ${this.name} failed: ${task.trace}`);
  }

  /** The last lines of the worker's log. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * Ends the worker (SIGTERM, SIGKILL after 20 s), drops the slot and publication it created (not
   * ones that existed before it started) and deletes the topics under its prefix; idempotent.
   */
  async stop(): Promise<void> {
    if (!LIVE.delete(this)) return;
    if (!this.exited() && this.child.pid !== undefined) {
      const gone = new Promise((resolve) => this.child.once('exit', resolve));
      signalGroup(this.child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.child.pid!, 'SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
    const pg = new Client({ ...stackAddresses().postgres, database: this.database });
    await pg.connect();
    try {
      for (let attempt = 0; attempt < 50 && !this.existing.slot; attempt++) {
        const { rows } = await pg.query<{ active_pid: number | null }>(
          'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
          [this.slot],
        );
        if (rows.length === 0) break;
        if (rows[0]!.active_pid !== null)
          await pg.query('SELECT pg_terminate_backend($1)', [rows[0]!.active_pid]);
        else await pg.query('SELECT pg_drop_replication_slot($1)', [this.slot]).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      if (!this.existing.publication)
        await pg.query(`DROP PUBLICATION IF EXISTS "${this.publication.replace(/"/g, '""')}"`);
    } finally {
      await pg.end();
    }
    const admin = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-debezium-peer' }),
    ).admin();
    await admin.connect();
    try {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${this.topicPrefix}.`));
      if (mine.length) await admin.deleteTopics({ topics: mine });
    } finally {
      await admin.disconnect();
    }
    // SLUICE_KEEP_DEBEZIUM_LOGS=1 keeps the worker's folder (log, properties) to look at afterwards.
    if (!envFlag('SLUICE_KEEP_DEBEZIUM_LOGS', false)) rmSync(this.workDir, { recursive: true, force: true });
  }
}

async function existingSlotAndPublication(
  database: string,
  slot: string,
  publication: string,
): Promise<{ slot: boolean; publication: boolean }> {
  const pg = new Client({ ...stackAddresses().postgres, database });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ slot: boolean; publication: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1) AS slot,
              EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS publication`,
      [slot, publication],
    );
    return rows[0]!;
  } finally {
    await pg.end();
  }
}

/** Peers not stopped yet: ended with the test process when it exits (not when a signal kills it). */
const LIVE = new Set<DebeziumPeer>();
process.once('exit', () => {
  for (const peer of LIVE) {
    const pid = (peer as unknown as { child: ChildProcess }).child.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }
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

/**
 * A JsonConverter record (`{"schema": …, "payload": …}`) parsed with its integers beyond ±2^53
 * kept exact, as bigint (JSON.parse would round an int64 such as 9223372036854775807).
 */
export function parseConnectJson(text: string): { schema: ConnectSchema; payload: unknown } {
  const marked = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, (all, lead: string, digits: string) => {
    const value = BigInt(digits);
    // An escaped NUL (JSON text cannot hold a raw one) marks it for the reviver.
    return Number.isSafeInteger(Number(value)) ? all : `${lead}"\\u0000bigint:${digits}"`;
  });
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith('\u0000bigint:') ? BigInt(value.slice(8)) : value,
  ) as { schema: ConnectSchema; payload: unknown };
}

/** A Kafka Connect schema as JsonConverter writes it. */
export interface ConnectSchema {
  type: string;
  optional?: boolean;
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
  default?: unknown;
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  keys?: ConnectSchema;
  values?: ConnectSchema;
}
