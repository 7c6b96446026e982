import type { LivenessView } from '@sluice/observability';
import type { SnapshotProgressView } from '../snapshot/snapshot-progress';

/** Where the source is in its life. */
export type SourcePhase =
  | 'starting'
  | 'snapshotting'
  | 'streaming'
  /** Paused by an operator: nothing is read, the slot keeps its position. */
  | 'paused'
  /** A dependency failed; the source waits and tries again (backoff capped). */
  | 'retrying'
  /** `initial_only` finished its snapshot, or `stop()` was called. */
  | 'stopped'
  /** A problem no retry can fix (configuration, permissions); an operator must act. */
  | 'failed';

/** An initial or incremental snapshot under way. */
export interface SnapshotStatus extends SnapshotProgressView {
  readonly kind: 'initial' | 'incremental';
  /** Incremental: tables asked for and not finished, the one being read first. */
  readonly queuedTables?: readonly string[];
}

/** A table held back because the registry refused its new schema. */
export interface HeldTable {
  readonly table: string;
  readonly subject: string;
  /** What the registry (or the local compatibility check) said: names the rule and field. */
  readonly reason: string;
  readonly since: string;
  /** Events of the table waiting for an operator's decision. */
  readonly heldEvents: number;
}

/** What `GET /status` answers. LSNs in Postgres's `X/Y` notation. */
export interface SourceStatus {
  /** The topic prefix, Debezium's logical server name. */
  readonly name: string;
  readonly phase: SourcePhase;
  readonly slot: string;
  readonly publication: string;
  /** Position of the last message read from the slot. */
  readonly currentLsn: string | undefined;
  /** Position confirmed to Postgres: everything before it is in Kafka. */
  readonly confirmedLsn: string | undefined;
  /** Server WAL position minus the confirmed position, in bytes (WAL the slot retains). */
  readonly lagBytes: number | undefined;
  readonly eventsPublished: number;
  /**
   * Row changes left out because their transaction carries an origin of `events.skipOrigins` (a
   * list): in two-way sync, the other direction's sink's own writes. With `skipOrigins: all`
   * Postgres leaves them out before decoding and they are not seen here (0), unless a signal table
   * is set (the source then leaves them out itself).
   */
  readonly changesSkippedByOrigin: number;
  /** Events handed to Kafka and not yet acknowledged. */
  readonly eventsPending: number;
  readonly snapshot: SnapshotStatus | undefined;
  readonly heldTables: readonly HeldTable[];
  readonly lastError:
    { readonly message: string; readonly at: string; readonly retriable: boolean } | undefined;
  /** When the next attempt starts, in phase `retrying`. */
  readonly retryAt: string | undefined;
  /** Progress-based liveness: `stalled` when events waited `liveness.stallAfterMs` with nothing moving. */
  readonly liveness: LivenessView;
}
