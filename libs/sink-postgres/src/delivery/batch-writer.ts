import { type PoolClient } from 'pg';
import { classifyPostgresFailure } from '@sluice/errors';
import { type RowChange, type SourcePosition, type TargetTable } from '../plan/row-change';
import {
  type BookkeepingTables,
  conflictStatement,
  deleteStatement,
  historyStatement,
  keyLockStatement,
  truncateStatement,
  upsertStatement,
} from '../sql/change-statements';
import {
  RESOLUTION_FAILED,
  RESOLUTION_MALFORMED,
  SYNC_APPLY_SETTING,
  type SyncContext,
  syncConflictStatement,
  syncDeleteStatement,
  syncUpsertStatement,
} from '../sql/sync-statements';
import { type ConflictPolicy } from '../conflict/conflict-policy';
import { ConflictFunctionError, TargetRejectedRowError } from '../sink-errors';
import { type ChangeBatch, type Overruled, type PendingRow } from './change-batch';

/** What one batch did to the target (status counters). */
export interface WriteReport {
  upserted: number;
  deleted: number;
  conflicts: number;
  /** Changes the target refused (each dead-lettered with the error). */
  readonly refused: Array<{
    readonly change: RowChange;
    readonly error: TargetRejectedRowError | ConflictFunctionError;
  }>;
}

interface PgError {
  readonly code?: string;
  readonly message: string;
  readonly column?: string;
  readonly detail?: string;
}

/**
 * A row the target cannot take: a data exception (SQLSTATE class 22), a constraint (23), or the
 * table's resolution function failing on it (two-way sync).
 */
export function isRowRejection(error: unknown): error is PgError {
  if (isResolutionFailure(error)) return true;
  const kind = classifyPostgresFailure(error)?.kind;
  return kind === 'data' || kind === 'integrity';
}

function isResolutionFailure(error: unknown): boolean {
  const code = (error as PgError | undefined)?.code;
  return code === RESOLUTION_FAILED || code === RESOLUTION_MALFORMED;
}

/** sluice_conflicts.winner of a row a resolution function merged: neither side's version won. */
export const MERGED_WINNER = 'merged';

const text = (v: bigint | null): string | null => (v === null ? null : v.toString());
const big = (v: string | null): bigint | null => (v === null ? null : BigInt(v));

/**
 * Writes a ChangeBatch inside the caller's open transaction: per step and table one multi-row
 * upsert (per merge mask), one multi-row delete, truncates in their place; then history rows and the
 * overruled writes. When the target refuses a row (SQLSTATE 22/23), the batch is written again in
 * careful mode: each statement under a savepoint, and a refused statement redone change by change,
 * so only the refused changes are set aside (and dead-lettered by the delivery) and every other
 * change of the batch is written, in order.
 */
/** Two-way sync (`sync`): the sites, the policy per table and whether local commit times are known. */
export interface SyncWriting {
  readonly site: string;
  readonly peerSite: string;
  readonly commitTimestamps: boolean;
  readonly policyFor: (table: TargetTable) => ConflictPolicy;
}

export class BatchWriter {
  constructor(
    private readonly books: BookkeepingTables,
    private readonly lww: boolean,
    private readonly sync?: SyncWriting,
  ) {}

  private syncContext(table: TargetTable): SyncContext {
    const sync = this.sync!;
    return {
      books: this.books,
      policy: sync.policyFor(table),
      site: sync.site,
      peerSite: sync.peerSite,
      commitTimestamps: sync.commitTimestamps,
    };
  }

  /**
   * `careful: false` writes each statement plainly (a refused row aborts the transaction: the
   * caller rolls back and writes the batch again with `careful: true`, statement by statement
   * under savepoints). Refusals are rare, so the common batch costs no savepoint round trips.
   */
  async write(client: PoolClient, batch: ChangeBatch, careful: boolean): Promise<WriteReport> {
    const report: WriteReport = { upserted: 0, deleted: 0, conflicts: 0, refused: [] };
    const overruled: Overruled[] = [...batch.overruled];
    if (this.lww || this.sync) await this.lockKeys(client, batch);
    // The tombstone trigger leaves the sink's own deletes to the sink (transaction-local).
    if (this.sync) await client.query(`SELECT set_config('${SYNC_APPLY_SETTING}', 'on', true)`);
    for (const step of batch.steps) {
      if (step.kind === 'truncate') {
        const { table, position } = step.change;
        await client.query(
          truncateStatement(table, this.lww),
          this.lww ? [text(position.lsn), text(position.tsMs)] : [],
        );
        continue;
      }
      for (const group of groups(step.rows)) await this.writeGroup(client, group, report, overruled, careful);
    }
    await this.writeHistory(client, batch.history);
    await this.writeConflicts(client, overruled);
    report.conflicts += overruled.length;
    return report;
  }

  private async writeGroup(
    client: PoolClient,
    group: RowGroup,
    report: WriteReport,
    overruled: Overruled[],
    careful: boolean,
  ): Promise<void> {
    if (!careful) {
      // Fast path: a refusal aborts the transaction and the delivery redoes the batch carefully.
      this.settle(group, await this.run(client, group, group.rows), report, overruled);
      return;
    }
    await client.query('SAVEPOINT sluice_group');
    try {
      const beaten = await this.run(client, group, group.rows);
      await client.query('RELEASE SAVEPOINT sluice_group');
      this.settle(group, beaten, report, overruled);
    } catch (error) {
      if (!isRowRejection(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT sluice_group');
      // Redo change by change, in order, to set aside only what the target refuses.
      for (const row of group.rows) {
        for (const change of row.chain) await this.writeOne(client, group, change, report, overruled);
      }
    }
  }

  private settle(
    group: RowGroup,
    beaten: readonly Beaten[],
    report: WriteReport,
    overruled: Overruled[],
  ): void {
    this.count(group, group.rows.length - beaten.filter((b) => !b.merged).length, report);
    for (const { row, current, sync } of beaten)
      for (const change of row.chain) overruled.push({ change, current, ...(sync && { sync }) });
  }

  private async writeOne(
    client: PoolClient,
    group: RowGroup,
    change: RowChange,
    report: WriteReport,
    overruled: Overruled[],
  ): Promise<void> {
    const single: RowGroup = {
      kind: change.kind === 'delete' ? 'delete' : 'upsert',
      table: change.table,
      changed: change.changed,
      rows: [{ change, changed: change.changed, chain: [change] }],
    };
    await client.query('SAVEPOINT sluice_row');
    try {
      const beaten = await this.run(client, single, single.rows);
      await client.query('RELEASE SAVEPOINT sluice_row');
      this.count(single, 1 - beaten.filter((b) => !b.merged).length, report);
      for (const { current, sync } of beaten) overruled.push({ change, current, ...(sync && { sync }) });
    } catch (error) {
      if (!isRowRejection(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT sluice_row');
      const table = `${group.table.schema}.${group.table.name}`;
      const detail = [error.message, error.column && `column ${error.column}`, error.detail]
        .filter(Boolean)
        .join('; ');
      report.refused.push({
        change,
        error: isResolutionFailure(error)
          ? new ConflictFunctionError(table, error.code!, error.message, { cause: error })
          : new TargetRejectedRowError(table, error.code!, detail, { cause: error }),
      });
    }
  }

  /** Holds every key the batch writes until the transaction ends (see keyLockStatement). */
  private async lockKeys(client: PoolClient, batch: ChangeBatch): Promise<void> {
    const keys: string[] = [];
    for (const step of batch.steps) {
      // A row's identity, `<qualified table> NUL <key id>`; Postgres text cannot hold NUL.
      if (step.kind === 'rows')
        for (const id of step.rows.keys()) keys.push(id.replaceAll('\u0000', '\u001f'));
    }
    if (keys.length > 0) await client.query(keyLockStatement(), [keys]);
  }

  /** Runs one group's statement; returns the rows overruled by a newer stored position. */
  private async run(client: PoolClient, group: RowGroup, rows: readonly PendingRow[]): Promise<Beaten[]> {
    const { table } = group;
    if (this.sync) return this.runSync(client, group, rows);
    const positions = [
      rows.map((r) => text(r.change.position.lsn)),
      rows.map((r) => text(r.change.position.tsMs)),
      rows.map((r) => r.change.keyId),
    ];
    let sql: string;
    let params: unknown[];
    if (group.kind === 'upsert') {
      sql = upsertStatement(table, this.books, this.lww, group.changed);
      params = [...table.columns.map((_, i) => rows.map((r) => r.change.values![i])), ...positions];
    } else {
      sql = deleteStatement(table, this.books, this.lww);
      params = [...table.keyColumns.map((_, i) => rows.map((r) => r.change.key[i])), ...positions];
    }
    const result = await client.query<{ ord: string; lsn: string | null; ts_ms: string | null }>(sql, params);
    if (!this.lww) return [];
    return result.rows.map((r) => ({
      row: rows[Number(r.ord) - 1],
      current: { lsn: big(r.lsn), tsMs: big(r.ts_ms) },
    }));
  }

  /** Two-way sync: the group's statement with the conflict decision inside (sync-statements). */
  private async runSync(client: PoolClient, group: RowGroup, rows: readonly PendingRow[]): Promise<Beaten[]> {
    const { table } = group;
    const ctx = this.syncContext(table);
    const positions = [
      rows.map((r) => text(r.change.position.lsn)),
      rows.map((r) => text(r.change.position.tsMs)),
    ];
    // The before image of the first change folded in: the version the chain was made on top of.
    const befores = rows.map((r) => {
      const first = r.chain[0];
      return first.table.signature === table.signature ? first.beforeValues : undefined;
    });
    const images = [
      ...table.columns.map((_, i) => befores.map((b) => (b ? b[i] : null))),
      befores.map((b) => (b ? 't' : 'f')),
    ];
    let sql: string;
    let params: unknown[];
    if (group.kind === 'upsert') {
      sql = syncUpsertStatement(table, ctx, group.changed);
      params = [
        ...table.columns.map((_, i) => rows.map((r) => r.change.values![i])),
        ...positions,
        ...images,
      ];
    } else {
      sql = syncDeleteStatement(table, ctx);
      params = [...table.keyColumns.map((_, i) => rows.map((r) => r.change.key[i])), ...positions, ...images];
    }
    const result = await client.query<{
      ord: string | null;
      ts_ms: string | null;
      site: string | null;
      kept: unknown;
      merged: boolean;
    }>(sql, params);
    return result.rows
      .filter((r) => r.ord !== null)
      .map((r) => ({
        row: rows[Number(r.ord) - 1],
        current: { lsn: null, tsMs: big(r.ts_ms) },
        // A resolution function's own row: written, and recorded with both versions it merged.
        merged: r.merged,
        sync: {
          site: r.site ?? ctx.site,
          rule: ctx.policy.rule,
          kept: r.kept === null || r.kept === undefined ? null : JSON.stringify(r.kept),
          ...(r.merged && { winner: MERGED_WINNER }),
        },
      }));
  }

  private count(group: RowGroup, applied: number, report: WriteReport): void {
    if (group.kind === 'upsert') report.upserted += applied;
    else report.deleted += applied;
  }

  private async writeHistory(client: PoolClient, changes: readonly RowChange[]): Promise<void> {
    const byTable = new Map<string, RowChange[]>();
    for (const change of changes) {
      const list = byTable.get(change.table.qualified);
      if (list) list.push(change);
      else byTable.set(change.table.qualified, [change]);
    }
    for (const list of byTable.values()) {
      await client.query(historyStatement(list[0].table), [
        list.map((c) => c.op),
        list.map((c) => text(c.position.lsn)),
        list.map((c) => text(c.position.tsMs)),
        list.map((c) => c.before),
        list.map((c) => c.after),
        list.map((c) => c.record.topic),
        list.map((c) => String(c.record.partition)),
        list.map((c) => String(c.record.offset)),
      ]);
    }
  }

  private async writeConflicts(client: PoolClient, overruled: readonly Overruled[]): Promise<void> {
    if (overruled.length === 0) return;
    if (this.sync) {
      await this.writeSyncConflicts(client, overruled, this.sync);
      return;
    }
    await client.query(conflictStatement(this.books), [
      overruled.map((o) => `${o.change.table.schema}.${o.change.table.name}`),
      overruled.map((o) => keyJson(o.change)),
      overruled.map((o) => o.change.op),
      overruled.map((o) => text(o.change.position.lsn)),
      overruled.map((o) => text(o.change.position.tsMs)),
      overruled.map((o) => text(o.current.lsn)),
      overruled.map((o) => text(o.current.tsMs)),
      overruled.map((o) => rejectedJson(o.change)),
      overruled.map((o) => o.change.record.topic),
      overruled.map((o) => String(o.change.record.partition)),
      overruled.map((o) => String(o.change.record.offset)),
    ]);
  }

  /** Two-way sync's conflict records: both versions, both sites, the rule and the winner. */
  private async writeSyncConflicts(
    client: PoolClient,
    overruled: readonly Overruled[],
    sync: SyncWriting,
  ): Promise<void> {
    await client.query(syncConflictStatement(this.books), [
      overruled.map((o) => `${o.change.table.schema}.${o.change.table.name}`),
      overruled.map((o) => keyJson(o.change)),
      overruled.map((o) => o.change.op),
      overruled.map((o) => text(o.change.position.lsn)),
      overruled.map((o) => text(o.change.position.tsMs)),
      overruled.map((o) => text(o.current.tsMs)),
      overruled.map((o) => rejectedJson(o.change)),
      overruled.map((o) => o.change.record.topic),
      overruled.map((o) => String(o.change.record.partition)),
      overruled.map((o) => String(o.change.record.offset)),
      // Within a batch a change older than the one after it is overruled by its own site.
      overruled.map((o) => o.sync?.rule ?? sync.policyFor(o.change.table).rule),
      overruled.map(() => sync.peerSite),
      overruled.map((o) => o.sync?.site ?? sync.peerSite),
      overruled.map((o) => o.sync?.winner ?? o.sync?.site ?? sync.peerSite),
      overruled.map((o) => o.sync?.kept ?? null),
    ]);
  }
}

/** A change overruled by the row's state in the target. */
interface Beaten {
  readonly row: PendingRow;
  readonly current: SourcePosition;
  /** Written as a resolution function merged it (a conflict, yet applied). */
  readonly merged?: boolean;
  readonly sync?: Overruled['sync'];
}

interface RowGroup {
  readonly kind: 'upsert' | 'delete';
  readonly table: TargetTable;
  readonly changed: readonly boolean[] | undefined;
  readonly rows: PendingRow[];
}

/** A step's rows grouped into statements: upserts per table version and merge mask, deletes per table. */
function groups(rows: Map<string, PendingRow>): RowGroup[] {
  // Keyed by the table version object (one per schema version) and, for merge, the mask.
  const upserts = new Map<TargetTable, Map<string, RowGroup>>();
  const deletes = new Map<string, RowGroup>();
  const out: RowGroup[] = [];
  for (const row of rows.values()) {
    const { change } = row;
    if (change.kind === 'delete') {
      const group = deletes.get(change.table.qualified);
      if (group) group.rows.push(row);
      else {
        const made: RowGroup = { kind: 'delete', table: change.table, changed: undefined, rows: [row] };
        deletes.set(change.table.qualified, made);
        out.push(made);
      }
      continue;
    }
    let byMask = upserts.get(change.table);
    if (!byMask) upserts.set(change.table, (byMask = new Map()));
    const mask = row.changed ? row.changed.map((c) => (c ? '1' : '0')).join('') : '';
    const group = byMask.get(mask);
    if (group) group.rows.push(row);
    else {
      const made: RowGroup = { kind: 'upsert', table: change.table, changed: row.changed, rows: [row] };
      byMask.set(mask, made);
      out.push(made);
    }
  }
  return out;
}

function keyJson(change: RowChange): string {
  const key: Record<string, string> = {};
  change.table.keyColumns.forEach((c, i) => (key[c.name] = change.key[i]));
  return JSON.stringify(key);
}

function rejectedJson(change: RowChange): string | null {
  if (!change.values) return null;
  const row: Record<string, string | null> = {};
  change.table.columns.forEach((c, i) => (row[c.name] = change.values![i]));
  return JSON.stringify(row);
}
