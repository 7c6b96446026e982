import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
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
import {
  addScramUser,
  type KafkaSaslSslEndpoint,
  saslSslEndpoint,
  saslSslListenerProperties,
  scramFormatArgs,
  writePemKeystore,
} from './kafka-sasl-ssl';
import { stackCertificates } from './stack-certificates';

/** What the data folder was formatted with, so a later start can refuse an incompatible one. */
interface KafkaStorageStamp {
  kafkaVersion: string;
  clusterId: string;
  controllerPort: number;
  /**
   * SCRAM users created in the cluster metadata (at format time or later with ConfigCommand), as
   * `name:<digest of the password>`: a changed password is set again.
   */
  scramUsers?: string[];
}

/**
 * A single-node Apache Kafka in KRaft combined mode (broker + controller in one JVM), run with the
 * machine's Java from the official artifacts. Settings suit one laptop: replication factor 1 for
 * internal topics, no initial rebalance delay, no auto-created topics (topics are provisioned).
 * With the layout's TLS on (`up --tls`), a `SASL_SSL` listener on `kafka.saslSslPort` beside the
 * plaintext one: the stack's loopback certificate, SCRAM-SHA-512 and PLAIN for one user whose
 * random password is written once into `<home>/kafka/sasl.env` (see `saslSsl`).
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

  /**
   * The SASL_SSL listener's address, CA and user when the layout has TLS on (the CA and the user
   * are made on first use); undefined otherwise.
   */
  get saslSsl(): KafkaSaslSslEndpoint | undefined {
    if (!this.layout.tls.enabled) return undefined;
    mkdirSync(this.dir, { recursive: true });
    const certs = stackCertificates(this.layout.tls.dir, this.log);
    return saslSslEndpoint(this.layout.kafka.host, this.layout.kafka.saslSslPort, certs, this.dir);
  }

  status(): Promise<PartStatus> {
    return describePart(this, livePid(this.pidFile), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    if (livePid(this.pidFile) !== undefined) {
      await this.awaitReady();
      const { host, saslSslPort } = this.layout.kafka;
      if (this.layout.tls.enabled && !(await isPortOpen(host, saslSslPort)))
        this.log('Kafka is running without SASL_SSL: `sluice stack down kafka` and `up --tls` to turn it on');
      return 'already-running';
    }
    const { port, controllerPort, host } = this.layout.kafka;
    const probe = () => this.probe().catch(() => ({ ok: false }));
    if ((await portHolder(host, port, probe, 'Kafka', 'SLUICE_KAFKA_PORT')) === 'answering') {
      return 'answering-externally';
    }
    if (await isPortOpen(host, controllerPort))
      throw portInUse('the Kafka controller', controllerPort, 'SLUICE_KAFKA_CONTROLLER_PORT');
    const saslSsl = this.saslSsl;
    if (saslSsl && (await isPortOpen(host, this.layout.kafka.saslSslPort)))
      throw portInUse(
        'the Kafka SASL_SSL listener',
        this.layout.kafka.saslSslPort,
        'SLUICE_KAFKA_SASL_SSL_PORT',
      );

    const java = requireJava(17);
    this.runtime.ensureInstalled(this.log);
    mkdirSync(this.dir, { recursive: true });
    const stamp = this.checkStorage();
    const propertiesFile = join(this.dir, 'server.properties');
    let listener: string[] = [];
    if (saslSsl) {
      const keystoreFile = join(this.dir, 'keystore.pem');
      writePemKeystore(stackCertificates(this.layout.tls.dir, this.log), keystoreFile);
      listener = saslSslListenerProperties(keystoreFile, saslSsl.user);
    }
    writeFileSync(propertiesFile, serverProperties(this.layout, this.dataDir, listener), { mode: 0o600 });
    const log4jFile = join(this.dir, 'log4j2.yaml');
    writeFileSync(log4jFile, LOG4J2_YAML);
    if (!stamp) this.formatStorage(java, propertiesFile, log4jFile, saslSsl);

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
    if (saslSsl) {
      const scramUser = scramUserStamp(saslSsl);
      if (stamp && !stamp.scramUsers?.includes(scramUser)) {
        // Formatted before TLS was asked for (or the password file was removed since): the user is
        // created, or its password set, in the running cluster.
        addScramUser(java, this.runtime.classpath, log4jFile, this.address, saslSsl.user);
        const others = (stamp.scramUsers ?? []).filter((u) => !u.startsWith(`${saslSsl.user.username}:`));
        this.writeStamp({ ...stamp, scramUsers: [...others, scramUser] });
      }
      await this.awaitSaslSsl(saslSsl);
      this.log(
        `Kafka SASL_SSL on ${saslSsl.address} (scram-sha-512 or plain; user and password in ${saslSsl.credentialsFile}, CA ${saslSsl.caFile})`,
      );
    }
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

  /** The SASL_SSL listener accepts the stack's user with SCRAM-SHA-512 over TLS verified by the CA. */
  private async awaitSaslSsl(endpoint: KafkaSaslSslEndpoint): Promise<void> {
    const kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        clientId: 'sluice-stack',
        brokers: [endpoint.address],
        tls: { enabled: true, ca: endpoint.caFile },
        sasl: { mechanism: 'scram-sha-512', ...endpoint.user },
        logLevel: 'nothing',
        connectionTimeoutMs: 2000,
        requestTimeoutMs: 5000,
        retry: { retries: 0 },
      }),
    );
    let last: unknown;
    const result = await waitUntil(
      async () => {
        const admin = kafka.admin();
        try {
          await admin.connect();
          await admin.describeCluster();
          return true;
        } catch (error) {
          last = error;
          return false;
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, stillRunning: () => livePid(this.pidFile) !== undefined },
    );
    if (!result.ok) {
      const why = last instanceof Error ? last.message : result.reason;
      throw new EnvironmentError(
        `Kafka's SASL_SSL listener at ${endpoint.address} refused the stack's user: ${why}; see ${this.logFile}`,
        { code: 'PART_NOT_READY' },
      );
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

  private writeStamp(stamp: KafkaStorageStamp): void {
    writeFileSync(this.stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  }

  private formatStorage(
    java: string,
    propertiesFile: string,
    log4jFile: string,
    saslSsl: KafkaSaslSslEndpoint | undefined,
  ): void {
    const clusterId = kraftClusterId();
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
        ...(saslSsl ? scramFormatArgs(saslSsl.user) : []),
      ],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const out = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-2).join(' | ');
      throw new EnvironmentError(`formatting Kafka storage in ${this.dataDir} failed: ${out}`, {
        code: 'KAFKA_FORMAT_FAILED',
      });
    }
    this.writeStamp({
      kafkaVersion: this.layout.kafka.version,
      clusterId,
      controllerPort: this.layout.kafka.controllerPort,
      ...(saslSsl && { scramUsers: [scramUserStamp(saslSsl)] }),
    });
    this.log(`formatted Kafka storage (KRaft cluster ${clusterId})`);
  }
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding, as Kafka makes them, and
 * like Kafka's own never starting with '-': the storage tool would read such an id as an option
 * ("argument --cluster-id/-t: expected one argument"), one start in 64.
 */
export function kraftClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function scramUserStamp(endpoint: KafkaSaslSslEndpoint): string {
  const digest = createHash('sha256').update(endpoint.user.password).digest('hex').slice(0, 16);
  return `${endpoint.user.username}:${digest}`;
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

/** `saslSslListener`: the SASL_SSL listener's own settings; the listener is declared when given. */
function serverProperties(layout: StackLayout, dataDir: string, saslSslListener: string[]): string {
  const { host, port, controllerPort, saslSslPort } = layout.kafka;
  const secured = saslSslListener.length > 0;
  const listeners = [`PLAINTEXT://${host}:${port}`, `CONTROLLER://${host}:${controllerPort}`];
  const advertised = [`PLAINTEXT://${host}:${port}`];
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT'];
  if (secured) {
    listeners.push(`SASL_SSL://${host}:${saslSslPort}`);
    advertised.push(`SASL_SSL://${host}:${saslSslPort}`);
    protocols.push('SASL_SSL:SASL_SSL');
  }
  return `# Written by sluice stack on every start; edit the code, not this file.
process.roles=broker,controller
node.id=1
listeners=${listeners.join(',')}
advertised.listeners=${advertised.join(',')}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=${protocols.join(',')}
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
${saslSslListener.map((line) => `${line}\n`).join('')}`;
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
