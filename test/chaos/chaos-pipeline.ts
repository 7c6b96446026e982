import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AppProcess } from '@sluice/demo';
import { tailFile } from '@sluice/stack';
import { freePort, PROJECT_ROOT } from '@sluice/test-support';
import { REPLICA_SCHEMA, SOURCE_SCHEMA } from './chaos-database';
import { type ChaosAddresses } from './chaos-stack';

export const APP_NAMES = ['source-postgres', 'transformer', 'sink-postgres'] as const;
export type AppName = (typeof APP_NAMES)[number];

const PREFIX = 'chaos';
/** source-postgres's table topics. */
export const SOURCE_TOPICS = {
  customers: `${PREFIX}.${SOURCE_SCHEMA}.customers`,
  orders: `${PREFIX}.${SOURCE_SCHEMA}.orders`,
  orderItems: `${PREFIX}.${SOURCE_SCHEMA}.order_items`,
} as const;
/** The transformer's exactly-once outputs: unwrapped orders, cancelled ones routed apart. */
export const OUTPUT_TOPICS = {
  clean: `${PREFIX}.orders.clean`,
  cancelled: `${PREFIX}.orders.cancelled`,
} as const;
export const TRANSFORMER_GROUP = 'chaos-transformer';
export const SINK_GROUP = 'chaos-sink';
export const PARTITIONS = 3;
/**
 * What each consumer reads. source-postgres and the transformer write exactly once (transactions):
 * their topics end in commit markers, which the consumers' commits move past (lag reaches 0).
 */
export const CONSUMER_INPUTS: Record<Exclude<AppName, 'source-postgres'>, { topic: string }[]> = {
  transformer: [{ topic: SOURCE_TOPICS.orders }],
  'sink-postgres': [
    { topic: SOURCE_TOPICS.customers },
    { topic: SOURCE_TOPICS.orderItems },
    { topic: OUTPUT_TOPICS.clean },
    { topic: OUTPUT_TOPICS.cancelled },
  ],
};

/** The transformer's pipeline: Debezium envelope → row (deletes rewritten), cancelled orders routed. */
const PIPELINE = {
  name: 'chaos-orders',
  from: { topics: [SOURCE_TOPICS.orders] },
  to: OUTPUT_TOPICS.clean,
  mode: 'exactly-once',
  groupId: TRANSFORMER_GROUP,
  steps: [
    { unwrap: { deletes: 'rewrite', addFields: ['op', 'lsn', 'source.ts_ms'] } },
    { route: { cases: [{ when: "status == 'cancelled'", topic: OUTPUT_TOPICS.cancelled }] } },
  ],
};

const PINO_LEVELS: Record<string, string> = { '30': 'INFO', '40': 'WARN', '50': 'ERROR', '60': 'FATAL' };

/**
 * The end of an app's log for a report: its own lines (kafkajs's connection retries left out, as
 * they repeat), a JSON line as its message and error, and the last line (the exit reason) always.
 */
export function logExcerpt(text: string, lines = 10): string {
  const all = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('--- chaos:'));
  const own = all.filter((l) => !l.includes('"logger":"kafkajs"'));
  const picked = own.slice(-lines);
  if (all.length > 0 && picked.at(-1) !== all.at(-1)) picked.push(all.at(-1)!);
  return picked
    .map((line) => {
      try {
        const entry = JSON.parse(line) as {
          msg?: string;
          message?: string;
          err?: { type?: string; message?: string };
          level?: unknown;
        };
        const err = entry.err ? ` (${entry.err.type ?? 'error'}: ${entry.err.message ?? ''})` : '';
        const level = PINO_LEVELS[String(entry.level)] ?? String(entry.level);
        return `${level} ${entry.msg ?? entry.message ?? ''}${err}`.slice(0, 400);
      } catch {
        return line.slice(0, 400);
      }
    })
    .join('\n');
}

/** One app of the pipeline, run as its own process and started again whenever it dies. */
export class SupervisedApp {
  /** Exits nobody asked for: the app crashed or gave up (it was started again). */
  readonly unplannedExits: { at: number; pid: number | undefined; logTail: string }[] = [];
  /** Every start: when and which pid. */
  readonly starts: { at: number; pid: number | undefined }[] = [];
  private expectingExit = false;
  private restarting = false;

  constructor(readonly process: AppProcess) {}

  get name(): AppName {
    return this.process.name as AppName;
  }

  get pid(): number | undefined {
    return this.process.hasExited ? undefined : this.process.pid;
  }

  get logFile(): string {
    return this.process.options.logFile;
  }

  start(): void {
    this.process.start();
    this.expectingExit = false;
    const at = Date.now();
    this.starts.push({ at, pid: this.process.pid });
    appendFileSync(
      this.logFile,
      `--- chaos: ${this.name} started, pid ${this.process.pid}, ${new Date(at).toISOString()} ---\n`,
    );
  }

  /** kill -9; resolves once the process is gone. */
  async kill(): Promise<number | undefined> {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    this.expectingExit = true;
    appendFileSync(this.logFile, `--- chaos: kill -9 of pid ${pid}, ${new Date().toISOString()} ---\n`);
    process.kill(pid, 'SIGKILL');
    while (!this.process.hasExited) await new Promise((resolve) => setTimeout(resolve, 20));
    return pid;
  }

  /**
   * As Kubernetes' restart policy: a process that exited on its own is recorded (with the end of
   * its log) and started again after a second.
   */
  superviseOnce(): void {
    if (!this.process.hasExited || this.expectingExit || this.restarting) return;
    this.unplannedExits.push({
      at: Date.now(),
      pid: this.process.pid,
      logTail: logExcerpt(tailFile(this.logFile, 200)),
    });
    this.restarting = true;
    setTimeout(() => {
      this.restarting = false;
      if (this.process.hasExited && !this.expectingExit) this.start();
    }, 1000);
  }

  /** SIGTERM (drain), SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.expectingExit = true;
    await this.process.stop(10_000);
  }
}

/**
 * The pipeline under test, each app its own process (`node dist/apps/<app>/src/main.js` with
 * SLUICE_CONFIG): source-postgres captures the chaos schema; the transformer (exactly-once) turns
 * the orders topic into rows and routes cancelled ones to their own topic; sink-postgres writes the
 * transformer's two outputs and the customers and order-items topics (straight from the source)
 * into the replica schema of the sink database.
 */
export class ChaosPipeline {
  readonly apps: Record<AppName, SupervisedApp>;

  private constructor(
    apps: Record<AppName, SupervisedApp>,
    readonly logDir: string,
  ) {
    this.apps = apps;
  }

  static async create(runDir: string, stack: ChaosAddresses): Promise<ChaosPipeline> {
    const configDir = join(runDir, 'config');
    const logDir = join(runDir, 'logs');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    const common = (clientId: string, port: number) => ({
      kafka: { brokers: stack.kafkaBrokers, clientId },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port },
      logging: { level: 'info' },
      tracing: { enabled: false },
    });
    const { host, port, user, password } = stack.postgres;
    const configs: Record<AppName, unknown> = {
      'source-postgres': {
        topicPrefix: PREFIX,
        postgres: { host, port, user, password, database: 'source' },
        slot: { name: 'sluice_chaos' },
        publication: { name: 'sluice_chaos', autocreate: 'filtered' },
        tables: { include: [`${SOURCE_SCHEMA}.*`] },
        snapshot: { mode: 'initial' },
        topics: { partitions: PARTITIONS, replicationFactor: 1 },
        ...common('chaos-source', await freePort()),
      },
      transformer: {
        pipeline: 'pipeline.yaml',
        keyFormat: 'avro',
        runtime: { concurrency: { partitions: PARTITIONS, keysPerPartition: 8 } },
        ...common('chaos-transformer', await freePort()),
      },
      'sink-postgres': {
        group: SINK_GROUP,
        topics: CONSUMER_INPUTS['sink-postgres'].map((i) => i.topic),
        target: {
          host,
          port,
          user,
          password,
          database: 'sink',
          schema: REPLICA_SCHEMA,
          bookkeepingSchema: REPLICA_SCHEMA,
        },
        conflicts: 'lww',
        tables: {
          [SOURCE_TOPICS.customers]: { table: `${REPLICA_SCHEMA}.customers` },
          [SOURCE_TOPICS.orderItems]: { table: `${REPLICA_SCHEMA}.order_items` },
          [OUTPUT_TOPICS.clean]: { table: `${REPLICA_SCHEMA}.orders` },
          [OUTPUT_TOPICS.cancelled]: { table: `${REPLICA_SCHEMA}.orders` },
        },
        ...common('chaos-sink', await freePort()),
      },
    };
    writeFileSync(join(configDir, 'pipeline.yaml'), stringify(PIPELINE));
    const apps = {} as Record<AppName, SupervisedApp>;
    for (const name of APP_NAMES) {
      const configFile = join(configDir, `${name}.yaml`);
      writeFileSync(configFile, stringify(configs[name]));
      const httpPort = (configs[name] as { http: { port: number } }).http.port;
      apps[name] = new SupervisedApp(
        new AppProcess({
          app: name,
          projectRoot: PROJECT_ROOT,
          configFile,
          url: `http://127.0.0.1:${httpPort}`,
          logFile: join(logDir, `${name}.log`),
          env: { OTEL_SDK_DISABLED: 'true' },
        }),
      );
    }
    return new ChaosPipeline(apps, logDir);
  }

  get list(): SupervisedApp[] {
    return APP_NAMES.map((name) => this.apps[name]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((app) => app.stop()));
  }
}
