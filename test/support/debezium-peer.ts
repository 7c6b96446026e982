// The real Debezium Postgres connector beside Sluice, for the conformance suite and the benches:
// io.debezium:debezium-connector-postgres 3.6.1.Final on a Kafka Connect 4.1.2 standalone worker
// (ConnectWorker), writing JsonConverter records to the local stack's Kafka. Each peer has its own
// connector name, slot, publication and topic prefix, and its own worker unless it is handed one
// (a bench's runs share a JVM); `stop` removes the connector (or ends its own worker) and drops the
// slot and publication it made.
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { stackAddresses } from './addresses';
import { type ConnectorStatus, ConnectWorker } from './connect-worker';

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
  /** JVM heap limit, `-Xmx`, of the worker the peer starts (not of one it is handed). */
  readonly heap?: string;
  /**
   * JsonConverter's schemas.enable for keys and values: true (the default) writes each record's
   * Connect schema beside its payload; false the payload alone, Connect's lightest setting.
   */
  readonly schemas?: boolean;
  /** A running worker to add the connector to; the peer then leaves it running when it stops. */
  readonly worker?: ConnectWorker;
}

/** One Debezium Postgres connector on a running Kafka Connect worker. */
export class DebeziumPeer {
  private stopped = false;

  private constructor(
    private readonly worker: ConnectWorker,
    private readonly ownsWorker: boolean,
    readonly name: string,
    readonly topicPrefix: string,
    readonly slot: string,
    readonly publication: string,
    private readonly database: string,
    /** What existed before the peer started is the caller's: stop() leaves it. */
    private readonly existing: { slot: boolean; publication: boolean },
  ) {}

  get restUrl(): string {
    return this.worker.restUrl;
  }

  get logFile(): string {
    return this.worker.logFile;
  }

  /** `<prefix>.<schema>.<table>`, the topic Debezium writes a table's changes to. */
  topic(schemaTable: string): string {
    return `${this.topicPrefix}.${schemaTable}`;
  }

  /**
   * Starts the connector (and a worker for it, unless handed one); resolves once its task is
   * RUNNING (it may still be snapshotting: read its topics to know how far it is). Rejects with
   * the task's trace or the log's tail when the worker exits or the task fails.
   */
  static async start(options: DebeziumPeerOptions): Promise<DebeziumPeer> {
    const stack = stackAddresses();
    const topicPrefix = options.topicPrefix ?? options.name;
    const slot = options.slot ?? options.name;
    const publication = options.publication ?? options.name;
    const database = options.database ?? 'source';
    const existing = await existingSlotAndPublication(database, slot, publication);
    const schemas = String(options.schemas ?? true);
    const connector = {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'tasks.max': '1',
      // The connector's own converters: peers sharing a worker may write differently.
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': schemas,
      'value.converter.schemas.enable': schemas,
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
    const worker = options.worker ?? (await ConnectWorker.start(options.heap ? { heap: options.heap } : {}));
    const peer = new DebeziumPeer(
      worker,
      options.worker === undefined,
      options.name,
      topicPrefix,
      slot,
      publication,
      database,
      existing,
    );
    try {
      await worker.putConnector(options.name, connector);
      await peer.awaitRunning(180_000);
    } catch (error) {
      await peer.stop().catch(() => undefined);
      throw error;
    }
    return peer;
  }

  private async awaitRunning(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.worker.exited()) throw new Error(`Kafka Connect exited: ${this.logTail()}`);
      const status = await this.status();
      const task = status?.tasks?.[0];
      if (task?.state === 'FAILED' || status?.connector?.state === 'FAILED')
        throw new Error(`Debezium connector ${this.name} failed: ${task?.trace ?? status?.connector?.trace}`);
      if (status?.connector?.state === 'RUNNING' && task?.state === 'RUNNING') return;
      if (Date.now() > deadline)
        throw new Error(
          `Debezium connector ${this.name} not running within ${timeoutMs} ms (${JSON.stringify(status)}): ${this.logTail()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private status(): Promise<ConnectorStatus | undefined> {
    return this.worker.connectorStatus(this.name);
  }

  /** Throws when the connector's task failed (its trace), so a test does not wait in vain. */
  async assertHealthy(): Promise<void> {
    if (this.worker.exited()) throw new Error(`Kafka Connect exited: ${this.logTail()}`);
    const task = (await this.status())?.tasks?.[0];
    if (task?.state === 'FAILED') throw new Error(`Debezium connector ${this.name} failed: ${task.trace}`);
  }

  /** The last lines of the worker's log. */
  logTail(lines = 20): string {
    return this.worker.logTail(lines);
  }

  /**
   * Removes the connector (or ends the worker the peer started: SIGTERM, SIGKILL after 20 s), ends
   * its hold on the slot, drops the slot and publication it created (not ones that existed before it
   * started) and deletes the topics under its prefix, also when the removal failed; idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.ownsWorker) await this.worker.stop();
      else await this.worker.deleteConnector(this.name);
    } finally {
      await this.dropWhatItMade();
    }
  }

  private async dropWhatItMade(): Promise<void> {
    const pg = new Client({ ...stackAddresses().postgres, database: this.database });
    await pg.connect();
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        const { rows } = await pg.query<{ active_pid: number | null }>(
          'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
          [this.slot],
        );
        if (rows.length === 0) break;
        // The connector's walsender: a deleted connector's task that Connect gave up stopping
        // (after task.shutdown.graceful.timeout.ms) can hold the slot past the DELETE.
        if (rows[0]!.active_pid !== null)
          await pg.query('SELECT pg_terminate_backend($1)', [rows[0]!.active_pid]);
        else if (this.existing.slot) break;
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
