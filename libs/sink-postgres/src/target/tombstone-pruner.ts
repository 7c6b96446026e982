import { type Pool } from 'pg';
import { type BookkeepingTables } from '../sql/change-statements';

export interface TombstonePrunerOptions {
  /** Tombstones whose deletion is older than this are removed. */
  readonly retentionMs: number;
  /** The target tracks commit timestamps: a local delete's time is its xid's commit time. */
  readonly commitTimestamps: boolean;
  readonly now?: () => number;
}

/**
 * Two-way sync's tombstones (`sluice_sync_rows` rows with `deleted`) kept only for a retention: a
 * deleted key leaves one forever otherwise. A tombstone is what stops an older change from bringing
 * the row back, so one is removed only when no change older than the deletion can still arrive (the
 * retention says how far back a replay could go). Its time: the peer's delete's source commit time,
 * or a local delete's commit time (pg_xact_commit_timestamp of its xid); a local tombstone whose
 * time is unknown (commit timestamps off, or no longer kept) stays. The last writers of live rows
 * are kept: one per row of the table, and what decides its conflicts.
 */
export class TombstonePruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pruned = 0;

  constructor(
    private readonly pool: Pool,
    private readonly books: BookkeepingTables,
    private readonly options: TombstonePrunerOptions,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Tombstones removed so far by this process. */
  get removed(): number {
    return this.pruned;
  }

  /** Prunes now and then every tenth of the retention (between 1 s and 10 min). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.min(600_000, Math.max(1000, Math.floor(this.options.retentionMs / 10)));
    const tick = () => {
      this.running ??= this.prune()
        .then(() => undefined, this.onError)
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass: removes the tombstones older than the retention; answers how many. */
  async prune(): Promise<number> {
    const before = (this.options.now ?? Date.now)() - this.options.retentionMs;
    const localTime = this.options.commitTimestamps
      ? 'floor(extract(epoch FROM pg_xact_commit_timestamp(xid)) * 1000)::bigint'
      : 'NULL::bigint';
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.books.syncRows} WHERE deleted AND coalesce(ts_ms, ${localTime}) < $1`,
      [before],
    );
    this.pruned += rowCount ?? 0;
    return rowCount ?? 0;
  }
}
