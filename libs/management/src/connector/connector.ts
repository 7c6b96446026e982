/** What a connector does in a pipeline (Kafka Connect's `type`, plus the transformer's role). */
export type ConnectorType = 'source' | 'transform' | 'sink';

export const CONNECTOR_STATES = ['STARTING', 'RUNNING', 'PAUSED', 'FAILED', 'STOPPED'] as const;

/**
 * Kafka Connect's connector states: STARTING (connecting, joining, restarting), RUNNING, PAUSED
 * (an operator stopped the flow; the position is kept), FAILED (stopped on an error no retry
 * fixes; `lastError` says why), STOPPED (shutting down or shut down).
 */
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

export interface AssignedPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What a connector reports about itself; the API adds its name, type and worker. */
export interface ConnectorStatus {
  readonly state: ConnectorState;
  /** Partitions this worker consumes (empty for a source). */
  readonly partitions: readonly AssignedPartition[];
  readonly lastError?: string;
}

/** One consumed partition's position, offsets as decimal strings (Kafka offsets are 64-bit). */
export interface PartitionOffset extends AssignedPartition {
  /** The next offset to consume, as committed by this group (absent before the first commit here). */
  readonly committedOffset?: string;
  /** The partition's end offset (high watermark) as last fetched; read from the brokers while paused. */
  readonly endOffset?: string;
  /** Records not yet committed: end offset minus committed offset. */
  readonly lag?: string;
}

/** A Postgres source's position: its replication slot and any snapshot under way. LSNs as `X/Y`. */
export interface SourcePosition {
  readonly slot: string;
  readonly publication: string;
  /** Confirmed to Postgres: everything before it is in Kafka (the slot's confirmed_flush_lsn). */
  readonly confirmedLsn?: string;
  /** The last position read from the slot. */
  readonly currentLsn?: string;
  /** WAL the slot retains behind the server's position, bytes. */
  readonly lagBytes?: number;
  /** An initial or incremental snapshot under way: rows done and total, per table. */
  readonly snapshot?: {
    readonly kind: 'initial' | 'incremental';
    readonly rowsDone: number;
    readonly rowsTotal: number;
  };
}

/** Where a connector stands: consumed partitions (stream connectors) or its source position. */
export type ConnectorOffsets =
  { readonly partitions: readonly PartitionOffset[] } | { readonly source: SourcePosition };

/**
 * A connector as the management API sees it: a small lifecycle contract an app implements (or
 * gets from `StreamConnector` for an app on a StreamRuntime). The API checks the state before
 * each action (docs/management-api.md), so `pause` is not called on a FAILED connector, etc.
 */
export interface Connector {
  /** Unique in the process; the pipeline's or group's name, or the source's topic prefix. */
  readonly name: string;
  readonly type: ConnectorType;
  status(): ConnectorStatus;
  /** Stops the flow, keeping the position (and the group membership of a consumer). Idempotent. */
  pause(): Promise<void> | void;
  resume(): Promise<void> | void;
  /** Stops the work (drain and commit) and starts it again in this process. */
  restart(): Promise<void>;
  offsets(): ConnectorOffsets;
}
