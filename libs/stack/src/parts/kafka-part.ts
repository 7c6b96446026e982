import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { type StackLayout } from '../stack-layout';
import { describePart, type PartStatus, type StackPart, type StartOutcome } from '../stack-part';
import {
  isPortOpen,
  livePid,
  portHolder,
  removeFile,
  spawnDetached,
  stopProcess,
  waitUntil,
} from '../process-control';
import { requireJava } from './java-toolchain';
import { KafkaRuntime } from './kafka-runtime';

/** What the data folder was formatted with, so a later start can refuse an incompatible one. */
interface KafkaStorageStamp {
  kafkaVersion: string;
  clusterId: string;
  controllerPort: number;
}

/**
 * A single-node Apache Kafka in KRaft combined mode (broker + controller in one JVM), run with the
 * machine's Java from the official artifacts. Settings suit one laptop: replication factor 1 for
 * internal topics, no initial rebalance delay, no auto-created topics (topics are provisioned).
 */
export class KafkaPart implements StackPart {
  readonly name = 'kafka';
  private readonly dir: string;
  private readonly runtime: KafkaRuntime;

  constructor(
    private readonly layout: StackLayout,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.dir = join(layout.home, 'kafka');
    this.runtime = new KafkaRuntime(layout.cacheDir, layout.kafka.version);
  }

  get address(): string {
    return `${this.layout.kafka.host}:${this.layout.kafka.port}`;
  }

  get logFile(): string {
    return join(this.dir, 'kafka.log');
  }

  private get pidFile(): string {
    return join(this.dir, 'kafka.pid');
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  private get stampFile(): string {
    return join(this.dir, 'storage.json');
  }

  status(): Promise<PartStatus> {
    return describePart(this, livePid(this.pidFile), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    if (livePid(this.pidFile) !== undefined) {
      await this.awaitReady();
      return 'already-running';
    }
    const { port, controllerPort, host } = this.layout.kafka;
    const probe = () => this.probe().catch(() => ({ ok: false }));
    if ((await portHolder(host, port, probe, 'Kafka', 'SLUICE_KAFKA_PORT')) === 'answering') {
      return 'answering-externally';
    }
    if (await isPortOpen(host, controllerPort))
      throw portInUse('the Kafka controller', controllerPort, 'SLUICE_KAFKA_CONTROLLER_PORT');

    const java = requireJava(17);
    this.runtime.ensureInstalled(this.log);
    mkdirSync(this.dir, { recursive: true });
    const stamp = this.checkStorage();
    const propertiesFile = join(this.dir, 'server.properties');
    writeFileSync(propertiesFile, serverProperties(this.layout, this.dataDir));
    const log4jFile = join(this.dir, 'log4j2.yaml');
    writeFileSync(log4jFile, LOG4J2_YAML);
    if (!stamp) this.formatStorage(java, propertiesFile, log4jFile);

    spawnDetached(
      java,
      [
        `-Xms256m`,
        `-Xmx${this.layout.kafka.heap}`,
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4jFile}`,
        '-cp',
        this.runtime.classpath,
        'kafka.Kafka',
        propertiesFile,
      ],
      { logFile: this.logFile, pidFile: this.pidFile, cwd: this.dir },
    );
    await this.awaitReady();
    return 'started';
  }

  async stop(): Promise<boolean> {
    const pid = livePid(this.pidFile);
    if (pid === undefined) {
      removeFile(this.pidFile);
      return false;
    }
    await stopProcess(pid, 30_000);
    removeFile(this.pidFile);
    return true;
  }

  /** Removes the data folder and its stamp (after `stop`): the next start formats anew. */
  purge(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.stampFile, { force: true });
  }

  /** Kafka answers when its metadata names a broker and an active KRaft controller. */
  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        clientId: 'sluice-stack',
        brokers: [this.address],
        logLevel: 'nothing',
        connectionTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        retry: { retries: 0 },
      }),
    );
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const ok = cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
      return {
        ok,
        detail: `KRaft cluster ${cluster.clusterId}, controller ${cluster.controller}, ${cluster.brokers.length} broker(s)`,
      };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async awaitReady(): Promise<void> {
    const result = await waitUntil(async () => (await this.probe()).ok, {
      timeoutMs: this.layout.startTimeoutSeconds * 1000,
      stillRunning: () => livePid(this.pidFile) !== undefined,
    });
    if (!result.ok) {
      throw new EnvironmentError(
        `Kafka at ${this.address} did not come up: ${result.reason}; see ${this.logFile}`,
        {
          code: 'PART_NOT_READY',
        },
      );
    }
  }

  /** Returns the stamp of an existing, compatible data folder; undefined when none exists yet. */
  private checkStorage(): KafkaStorageStamp | undefined {
    const metaFile = join(this.dataDir, 'meta.properties');
    if (!existsSync(metaFile)) return undefined;
    const meta = readFileSync(metaFile, 'utf8');
    if (!/^cluster\.id=/m.test(meta) || (/^broker\.id=/m.test(meta) && !/^node\.id=/m.test(meta))) {
      throw incompatibleData(this.dataDir, 'it was written by a ZooKeeper-mode broker');
    }
    if (!existsSync(this.stampFile))
      throw incompatibleData(this.dataDir, 'it was not formatted by sluice stack');
    const stamp = JSON.parse(readFileSync(this.stampFile, 'utf8')) as KafkaStorageStamp;
    const major = (v: string) => v.split('.')[0];
    if (major(stamp.kafkaVersion) !== major(this.layout.kafka.version)) {
      throw incompatibleData(
        this.dataDir,
        `it was written by Kafka ${stamp.kafkaVersion}, this stack runs ${this.layout.kafka.version}`,
      );
    }
    if (stamp.controllerPort !== this.layout.kafka.controllerPort) {
      throw incompatibleData(
        this.dataDir,
        `its KRaft quorum was formatted with controller port ${stamp.controllerPort}`,
      );
    }
    return stamp;
  }

  private formatStorage(java: string, propertiesFile: string, log4jFile: string): void {
    // Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding.
    const clusterId = randomBytes(16).toString('base64url');
    const result = spawnSync(
      java,
      [
        `-Dlog4j2.configurationFile=${log4jFile}`,
        '-cp',
        this.runtime.classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        propertiesFile,
        '--standalone',
        '-g',
      ],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const out = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-2).join(' | ');
      throw new EnvironmentError(`formatting Kafka storage in ${this.dataDir} failed: ${out}`, {
        code: 'KAFKA_FORMAT_FAILED',
      });
    }
    const stamp: KafkaStorageStamp = {
      kafkaVersion: this.layout.kafka.version,
      clusterId,
      controllerPort: this.layout.kafka.controllerPort,
    };
    writeFileSync(this.stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
    this.log(`formatted Kafka storage (KRaft cluster ${clusterId})`);
  }
}

function portInUse(what: string, port: number, variable: string): EnvironmentError {
  return new EnvironmentError(
    `port ${port} (${what}) is in use by another process; stop it or set ${variable} to another port`,
    {
      code: 'PORT_IN_USE',
    },
  );
}

function incompatibleData(dir: string, why: string): EnvironmentError {
  return new EnvironmentError(
    `Kafka data folder ${dir} cannot be used: ${why}; remove it with \`sluice stack down --purge\``,
    {
      code: 'INCOMPATIBLE_DATA',
    },
  );
}

function serverProperties(layout: StackLayout, dataDir: string): string {
  const { host, port, controllerPort } = layout.kafka;
  return `# Written by sluice stack on every start; edit the code, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}
advertised.listeners=PLAINTEXT://${host}:${port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.bootstrap.servers=${host}:${controllerPort}
log.dirs=${dataDir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
transaction.max.timeout.ms=900000
log.retention.hours=168
log.segment.bytes=268435456
num.network.threads=2
num.io.threads=4
`;
}

const LOG4J2_YAML = `Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Logger:
      - name: kafka
        level: INFO
      - name: org.apache.kafka
        level: INFO
      - name: state.change.logger
        level: WARN
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
`;
