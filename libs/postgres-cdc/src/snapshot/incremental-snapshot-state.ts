import type { PostgresSession } from '../replication/postgres-session';
import { qualifiedName, quotedName, type TableName } from '../replication/table-name';

/** One table of an incremental snapshot, as saved: where its next chunk starts. */
export interface IncrementalSnapshotEntry {
  /** `schema.table`. */
  readonly table: string;
  /** The signal that asked for it: a replayed signal with the same id does not start it over. */
  readonly signalId: string;
  /** Paging key of the last row delivered; undefined before the first chunk. */
  readonly lastKey: readonly (string | null)[] | undefined;
  readonly rowsDone: number;
}

/**
 * Where the incremental snapshots of one source stand, kept in a table of the source database beside
 * the signal table (`<signal schema>.sluice_incremental_snapshot`, one row per table still to read,
 * keyed by source name). Debezium keeps this in the connector's offsets; at least once Sluice's
 * offset is the slot's LSN, which cannot carry it, so it lives here. A chunk's progress is saved only
 * once the slot was confirmed past it (Kafka holds its rows): after a crash at most one chunk is read
 * again. Exactly once, the offsets topic's record carries it too, committed with the chunk's events,
 * and that copy wins at start-up (IncrementalSnapshot's `delivered`).
 */
export class IncrementalSnapshotState {
  readonly name: TableName;

  constructor(
    signalTable: TableName,
    private readonly source: string,
  ) {
    this.name = { schema: signalTable.schema, table: 'sluice_incremental_snapshot' };
  }

  async create(session: PostgresSession): Promise<void> {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${quotedName(this.name)} (
         source text NOT NULL, table_name text NOT NULL, signal_id text NOT NULL,
         last_key jsonb NULL, rows_done bigint NOT NULL DEFAULT 0,
         requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
         PRIMARY KEY (source, table_name))`,
      [],
      `Creating the incremental snapshot table ${qualifiedName(this.name)}`,
    );
  }

  /** The tables still to read, in the order they were asked for. */
  async load(session: PostgresSession): Promise<IncrementalSnapshotEntry[]> {
    const rows = await session.query<{
      table_name: string;
      signal_id: string;
      last_key: string | null;
      rows_done: string;
    }>(
      `SELECT table_name, signal_id, last_key::text AS last_key, rows_done::text AS rows_done FROM ${quotedName(this.name)}
        WHERE source = $1 ORDER BY requested_at, table_name`,
      [this.source],
      `Reading ${qualifiedName(this.name)}`,
    );
    return rows.map((r) => ({
      table: r.table_name,
      signalId: r.signal_id,
      lastKey: r.last_key === null ? undefined : (JSON.parse(r.last_key) as (string | null)[]),
      rowsDone: Number(r.rows_done),
    }));
  }

  /**
   * Queues `tables` for signal `signalId`. A table already queued by another signal starts over; by
   * the same signal (the stream repeating it after a restart) it keeps its progress. Returns the
   * tables that (re)start from their first row.
   */
  async request(session: PostgresSession, signalId: string, tables: readonly string[]): Promise<string[]> {
    const started: string[] = [];
    for (const table of tables) {
      const rows = await session.query(
        `INSERT INTO ${quotedName(this.name)} AS s (source, table_name, signal_id) VALUES ($1, $2, $3)
           ON CONFLICT (source, table_name) DO UPDATE
             SET signal_id = EXCLUDED.signal_id, last_key = NULL, rows_done = 0, requested_at = clock_timestamp()
             WHERE s.signal_id <> EXCLUDED.signal_id
         RETURNING table_name`,
        [this.source, table, signalId],
        `Queuing an incremental snapshot of ${table}`,
      );
      if (rows.length > 0) started.push(table);
    }
    return started;
  }

  async saveProgress(
    session: PostgresSession,
    table: string,
    lastKey: readonly (string | null)[],
    rowsDone: number,
  ): Promise<void> {
    await session.query(
      `UPDATE ${quotedName(this.name)} SET last_key = $3::jsonb, rows_done = $4 WHERE source = $1 AND table_name = $2`,
      [this.source, table, JSON.stringify(lastKey), rowsDone],
      `Saving incremental snapshot progress of ${table}`,
    );
  }

  /** The table is done (or its snapshot was stopped). */
  async remove(session: PostgresSession, table: string): Promise<void> {
    await session.query(
      `DELETE FROM ${quotedName(this.name)} WHERE source = $1 AND table_name = $2`,
      [this.source, table],
      `Ending the incremental snapshot of ${table}`,
    );
  }
}
