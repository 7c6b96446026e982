import { Client } from 'pg';
import { EnvironmentError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import { PgOutputDecoder } from '../pgoutput/pgoutput-decoder';
import { type PostgresConnectionOptions, pgClientConfig } from './postgres-connection-options';
import { classifyPostgresError } from './postgres-errors';
import { ReplicationStream, type ReplicationStreamOptions } from './replication-stream';

/** IDENTIFY_SYSTEM's answer. */
export interface SystemIdentity {
  readonly systemId: string;
  readonly timeline: number;
  /** The server's current WAL flush position. */
  readonly walFlushLsn: Lsn;
  readonly database: string;
}

/** CREATE_REPLICATION_SLOT's answer. */
export interface CreatedSlot {
  readonly slotName: string;
  /** Changes committed after this point are streamed; everything before is in the snapshot. */
  readonly consistentPoint: Lsn;
  /**
   * The exported snapshot (with `exportSnapshot`), valid until this connection runs its next
   * command: import it (`SnapshotReader.open`) before starting replication on this connection.
   */
  readonly snapshotName: string | undefined;
}

export interface StartReplicationOptions {
  readonly slot: string;
  readonly publications: readonly string[];
  /** Resume position; `Lsn.INVALID` lets the slot start at its confirmed_flush_lsn. */
  readonly resumeLsn?: Lsn;
  /** pgoutput protocol version; by default the highest this server speaks (4 on Postgres 16+). */
  readonly protoVersion?: 1 | 2 | 3 | 4;
  /** Deliver pg_logical_emit_message output (heartbeats, watermarks). Default true. */
  readonly messages?: boolean;
  /**
   * pgoutput's `origin`: 'none' sends only changes without a replication origin (Postgres 16+),
   * 'any' (the server's default) all of them. Not sent when left out.
   */
  readonly origin?: 'none' | 'any';
  /** Default 10,000 ms. */
  readonly statusIntervalMs?: number;
  /** Least time between status updates for new acknowledgements. Default 100 ms. */
  readonly acknowledgeIntervalMs?: number;
  /** Default 10,000 messages. */
  readonly maxBufferedMessages?: number;
}

/** Quotes an identifier for replication commands, which take no bind parameters. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The pgoutput protocol version for a server_version_num. */
export function protoVersionFor(serverVersionNum: number): 1 | 2 | 3 | 4 {
  if (serverVersionNum >= 160000) return 4;
  if (serverVersionNum >= 150000) return 3;
  if (serverVersionNum >= 140000) return 2;
  return 1;
}

/**
 * A `replication=database` connection: the walsender protocol (IDENTIFY_SYSTEM,
 * CREATE_REPLICATION_SLOT, START_REPLICATION) plus plain SQL. One replication stream per connection;
 * once `startReplication` succeeded the connection belongs to the stream.
 */
export class ReplicationConnection {
  private streaming = false;

  private constructor(
    private readonly client: Client,
    readonly serverVersionNum: number,
  ) {}

  static async connect(options: PostgresConnectionOptions): Promise<ReplicationConnection> {
    const client = new Client(
      pgClientConfig(options, {
        replication: true,
        applicationName: options.applicationName ?? 'sluice-replication',
      }),
    );
    // Errors outside a query (socket reset while idle) must not crash the process; queries see them.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
      return new ReplicationConnection(client, Number(version.rows[0].server_version_num));
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classifyPostgresError(
        error,
        `Replication connection to ${options.host}:${options.port}/${options.database}`,
      );
    }
  }

  private async run<R extends object>(sql: string, context: string): Promise<R[]> {
    try {
      return (await this.client.query<R>(sql)).rows;
    } catch (error) {
      throw classifyPostgresError(error, context);
    }
  }

  async identifySystem(): Promise<SystemIdentity> {
    const [row] = await this.run<{ systemid: string; timeline: string; xlogpos: string; dbname: string }>(
      'IDENTIFY_SYSTEM',
      'IDENTIFY_SYSTEM',
    );
    return {
      systemId: row.systemid,
      timeline: Number(row.timeline),
      walFlushLsn: Lsn.parse(row.xlogpos),
      database: row.dbname,
    };
  }

  /** CREATE_REPLICATION_SLOT <slot> LOGICAL pgoutput, exporting a snapshot by default. */
  async createSlot(
    slot: string,
    options: { exportSnapshot?: boolean; temporary?: boolean } = {},
  ): Promise<CreatedSlot> {
    const snapshot = options.exportSnapshot === false ? 'nothing' : 'export';
    const [row] = await this.run<{
      slot_name: string;
      consistent_point: string;
      snapshot_name: string | null;
    }>(
      `CREATE_REPLICATION_SLOT ${quoteIdentifier(slot)}${options.temporary ? ' TEMPORARY' : ''} LOGICAL pgoutput ` +
        `(SNAPSHOT '${snapshot}')`,
      `Creating replication slot ${slot}`,
    );
    return {
      slotName: row.slot_name,
      consistentPoint: Lsn.parse(row.consistent_point),
      snapshotName: row.snapshot_name ?? undefined,
    };
  }

  async dropSlot(slot: string): Promise<void> {
    await this.run(
      `DROP_REPLICATION_SLOT ${quoteIdentifier(slot)} WAIT`,
      `Dropping replication slot ${slot}`,
    );
  }

  /** Plain SQL on this connection (allowed in replication=database mode before streaming). */
  async query<R extends object>(sql: string, context = 'Query on the replication connection'): Promise<R[]> {
    return this.run<R>(sql, context);
  }

  /**
   * START_REPLICATION SLOT <slot> LOGICAL <resume>: resolves once the server switched to CopyBoth,
   * or fails with the server's classified error (slot in use, slot missing, WAL removed...).
   */
  async startReplication(options: StartReplicationOptions): Promise<ReplicationStream> {
    if (this.streaming) throw new Error('This replication connection already streams');
    this.streaming = true;
    const resumeLsn = options.resumeLsn ?? Lsn.INVALID;
    const protoVersion = options.protoVersion ?? protoVersionFor(this.serverVersionNum);
    const publications = options.publications.map(quoteIdentifier).join(',');
    if (options.origin !== undefined && this.serverVersionNum < 160000) {
      this.streaming = false;
      throw new EnvironmentError(
        `events.skipOrigins: all needs Postgres 16 or later (pgoutput's origin option); this server is ` +
          `${this.serverVersionNum}. List the sinks' origin names instead (e.g. skipOrigins: [sluice_<group>]): ` +
          'their transactions are then read and dropped by the source (docs/two-way-sync.md)',
        { code: 'PG_ORIGIN_UNSUPPORTED' },
      );
    }
    const sql =
      `START_REPLICATION SLOT ${quoteIdentifier(options.slot)} LOGICAL ${resumeLsn.toString()} (` +
      `proto_version '${protoVersion}', publication_names ${quoteLiteral(publications)}, ` +
      `messages '${options.messages === false ? 'false' : 'true'}'` +
      `${options.origin === undefined ? '' : `, origin '${options.origin}'`})`;
    const description = `Replication from slot ${options.slot}`;
    const streamOptions: ReplicationStreamOptions = {
      resumeLsn,
      statusIntervalMs: options.statusIntervalMs ?? 10_000,
      acknowledgeIntervalMs: options.acknowledgeIntervalMs ?? 100,
      maxBufferedMessages: options.maxBufferedMessages ?? 10_000,
    };
    const stream = new ReplicationStream(this.client, new PgOutputDecoder(), streamOptions, description);
    const connection = this.client.connection;
    connection.on('copyData', (message: { chunk: Buffer }) => stream.onCopyData(message.chunk));
    this.client.on('end', () => stream.fail(new Error('Connection terminated unexpectedly')));
    await new Promise<void>((resolve, reject) => {
      let started = false;
      connection.once('replicationStart', () => {
        started = true;
        resolve();
      });
      this.client.query(sql).then(
        // CopyDone from the server: it ended replication (e.g. the slot was dropped).
        () => stream.fail(new Error('Connection terminated: the server ended replication')),
        (error: unknown) => {
          if (started) stream.fail(error);
          else reject(classifyPostgresError(error, `START_REPLICATION of slot ${options.slot}`));
        },
      );
    }).catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
    return stream;
  }

  /** Closes the connection (when streaming, prefer `ReplicationStream.stop`). */
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
