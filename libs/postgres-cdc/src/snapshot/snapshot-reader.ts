import { ConfigError } from '@sluice/errors';
import type { PostgresConnectionOptions } from '../replication/postgres-connection-options';
import { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, quotedName, type TableName } from '../replication/table-name';
import { SnapshotProgress } from './snapshot-progress';
import { ChunkQuery, describeTable, type SnapshotTable } from './table-description';

/** Column values as Postgres's text output (bytea as `\x` hex), in relation column order: what pgoutput sends. */
export type SnapshotRow = (string | null)[];

export interface SnapshotChunk {
  readonly table: SnapshotTable;
  readonly rows: readonly SnapshotRow[];
  /** The last row's paging key: where a resumed read continues. */
  readonly lastKey: readonly (string | null)[];
}

export interface SnapshotReadOptions {
  /** Rows per chunk. Default 4096. */
  readonly chunkSize?: number;
  /** Resume after this paging key (a previous chunk's `lastKey`). */
  readonly afterKey?: readonly (string | null)[];
}

/**
 * The initial snapshot: one REPEATABLE READ, READ ONLY transaction that imports the snapshot the
 * slot exported when it was created, so the snapshot shows exactly the rows committed before the
 * slot's consistent point and streaming takes over after it (no gap, no overlap). Tables are read
 * in primary-key chunks by keyset pagination; values come back as text, as in the stream.
 */
export class SnapshotReader {
  readonly progress: SnapshotProgress;

  private constructor(
    private readonly session: PostgresSession,
    progress: SnapshotProgress,
    /**
     * The snapshot transaction's id, Debezium's snapshot `source.txId`: `pg_current_xact_id()`
     * (`txid_current()` before Postgres 13) in that transaction, 0 on a standby, as Debezium's
     * PostgresConnection.currentTransactionId.
     */
    readonly txId: number,
  ) {
    this.progress = progress;
  }

  /**
   * Opens the snapshot transaction. `snapshotName` comes from `ReplicationConnection.createSlot`
   * and is valid only while that connection stays idle: open the reader before starting replication.
   * Without a name the transaction takes its own snapshot (a re-snapshot of an existing slot).
   */
  static async open(
    options: PostgresConnectionOptions,
    snapshotName: string | undefined,
    progress = new SnapshotProgress(),
  ): Promise<SnapshotReader> {
    const session = await PostgresSession.connect(options, 'sluice-snapshot');
    let txId: number;
    try {
      await session.query(
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
        [],
        'Starting the snapshot transaction',
      );
      if (snapshotName !== undefined) {
        if (!/^[0-9A-F-]+$/i.test(snapshotName)) {
          throw new ConfigError(`Not an exported snapshot name: ${JSON.stringify(snapshotName)}`);
        }
        await session.query(
          `SET TRANSACTION SNAPSHOT '${snapshotName}'`,
          [],
          `Importing exported snapshot ${snapshotName} (it is gone once the slot's replication connection ran another command)`,
        );
      }
      // After SET TRANSACTION SNAPSHOT, which must come first in the transaction. The function is
      // chosen before (pg_current_xact_id does not exist before 13, an untaken CASE branch still fails).
      const [version] = await session.query<{ v: string }>(
        "SELECT current_setting('server_version_num') AS v",
        [],
        'Reading the server version',
      );
      const current = Number(version.v) >= 130000 ? 'pg_current_xact_id()' : 'txid_current()';
      const [row] = await session.query<{ txid: string }>(
        `SELECT CASE WHEN pg_is_in_recovery() THEN '0' ELSE ${current}::text END AS txid`,
        [],
        'Reading the snapshot transaction id',
      );
      txId = Number(row.txid);
    } catch (error) {
      await session.close();
      throw error;
    }
    return new SnapshotReader(session, progress, txId);
  }

  /** The table's columns and keys, as of the snapshot; registers it with the progress. */
  async describe(name: TableName, options: { exactCount?: boolean } = {}): Promise<SnapshotTable> {
    const table = await describeTable(this.session, name);
    let total = table.estimatedRows;
    if (options.exactCount || total < 0) {
      const [row] = await this.session.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${quotedName(name)}`,
        [],
        `Counting rows of ${qualifiedName(name)}`,
      );
      total = Number(row.n);
    }
    this.progress.addTable(name, total);
    return table;
  }

  /** The table's rows chunk by chunk, in key order. */
  async *read(table: SnapshotTable, options: SnapshotReadOptions = {}): AsyncGenerator<SnapshotChunk> {
    const chunkSize = options.chunkSize ?? 4096;
    const name = { schema: table.relation.schema, table: table.relation.table };
    const query = new ChunkQuery(table, quotedName(name));
    const context = `Reading a snapshot chunk of ${qualifiedName(name)}`;
    const width = table.relation.columns.length;
    let lastKey = options.afterKey;
    for (;;) {
      const rows =
        lastKey === undefined
          ? await this.session.queryArrays(query.first, [chunkSize], context)
          : await this.session.queryArrays(query.next, [...lastKey, chunkSize], context);
      if (rows.length === 0) break;
      lastKey = query.keyOf(rows[rows.length - 1]);
      // The ctid column only pages; it is not part of the row.
      if (query.byCtid) for (const row of rows) row.length = width;
      this.progress.record(name, rows.length);
      yield { table, rows, lastKey };
      if (rows.length < chunkSize) break;
    }
    this.progress.completeTable(name);
  }

  /** Ends the snapshot transaction and the connection. */
  async close(): Promise<void> {
    await this.session.query('COMMIT', [], 'Ending the snapshot transaction').catch(() => undefined);
    await this.session.close();
  }
}
