import type { SluiceError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { PgOutputMessage } from '../pgoutput/pgoutput-message';
import type { PostgresSession } from '../replication/postgres-session';

/** Prefix of heartbeat messages in the WAL. */
export const HEARTBEAT_PREFIX = 'sluice.heartbeat';

export interface HeartbeatOptions {
  /** Milliseconds between heartbeats. */
  readonly intervalMs: number;
  /**
   * SQL run instead of the logical message (Debezium's heartbeat.action.query), e.g. an UPDATE of
   * a captured heartbeat table. Its change then arrives on the stream like any other.
   */
  readonly actionQuery?: string;
  /** A failed heartbeat is reported here and retried at the next interval. */
  readonly onError?: (error: SluiceError) => void;
}

/** True for the logical message a `Heartbeat` wrote. */
export function isHeartbeat(message: PgOutputMessage): boolean {
  return message.type === 'message' && message.prefix === HEARTBEAT_PREFIX;
}

/**
 * Writes to the WAL at an interval so the slot has something to confirm while the captured tables
 * are idle: without it, confirmed_flush_lsn stays put and Postgres retains WAL without bound (other
 * databases' and tables' traffic keeps growing it). The non-transactional logical message reaches
 * the stream at once; when nothing else is pending the source acknowledges its LSN.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private beats = 0;

  constructor(
    private readonly session: PostgresSession,
    private readonly options: HeartbeatOptions,
  ) {}

  /** Heartbeats written so far. */
  get count(): number {
    return this.beats;
  }

  start(): void {
    if (this.timer !== undefined || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running = this.beat().catch((error: SluiceError) => this.options.onError?.(error));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Writes one heartbeat now; returns its WAL position. */
  async beat(): Promise<Lsn> {
    let lsn: string;
    if (this.options.actionQuery !== undefined) {
      await this.session.query(this.options.actionQuery, [], 'Running the heartbeat action query');
      [{ lsn }] = await this.session.query<{ lsn: string }>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
        [],
        'Reading the WAL position after the heartbeat',
      );
    } else {
      [{ lsn }] = await this.session.query<{ lsn: string }>(
        'SELECT pg_logical_emit_message(false, $1, $2)::text AS lsn',
        [HEARTBEAT_PREFIX, new Date().toISOString()],
        'Writing a heartbeat',
      );
    }
    this.beats++;
    return Lsn.parse(lsn);
  }

  /** Stops the timer and waits for a heartbeat in flight. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
