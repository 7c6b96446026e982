import { comparePositions, type RowChange, type SourcePosition } from '../plan/row-change';

/** The state a key reaches within a batch: the change to write, and the changes it stands for. */
export interface PendingRow {
  /** The last change applied in the batch (its values are what gets written). */
  readonly change: RowChange;
  /** merge: columns written by any change folded in (undefined: all). */
  readonly changed: readonly boolean[] | undefined;
  /** Every change applied in the batch, in order (the last is `change`). */
  readonly chain: RowChange[];
}

export type BatchStep =
  | { readonly kind: 'rows'; readonly rows: Map<string, PendingRow> }
  | { readonly kind: 'truncate'; readonly change: RowChange };

/** A change older than the state it met (LWW), with that state's position. */
export interface Overruled {
  readonly change: RowChange;
  readonly current: SourcePosition;
  /** Two-way sync: the writer that won (site; ts in `current.tsMs`), the rule and the version kept. */
  readonly sync?: {
    readonly site: string;
    readonly rule: string;
    readonly kept: string | null;
    /** sluice_conflicts.winner when not `site` (`merged`: a resolution function's own row). */
    readonly winner?: string;
  };
}

/**
 * The row changes of one fetched batch, coalesced per key so that writing the result equals
 * applying every change in order: the last change of a key wins (a delete then an insert is the
 * insert), field-level merge masks are united, and under last-writer-wins a change older than the
 * key's state in the batch is overruled instead of applied. Changes that cannot be folded (a key
 * written by two schema versions, a truncate) start a new step; steps are written in order.
 * Pure: specs beside.
 */
export class ChangeBatch {
  readonly steps: BatchStep[] = [];
  /** Every change of tables in history mode, in consumption order. */
  readonly history: RowChange[] = [];
  readonly overruled: Overruled[] = [];
  private current: Map<string, PendingRow> | undefined;

  constructor(private readonly lww: boolean) {}

  get size(): number {
    return this.steps.reduce((n, s) => n + (s.kind === 'rows' ? s.rows.size : 1), 0);
  }

  add(change: RowChange): void {
    if (change.table.options.history) this.history.push(change);
    if (change.kind === 'truncate') {
      this.steps.push({ kind: 'truncate', change });
      this.current = undefined;
      return;
    }
    const id = `${change.table.qualified}\u0000${change.keyId}`;
    const rows = this.rows();
    const pending = rows.get(id);
    if (!pending) {
      rows.set(id, { change, changed: change.changed, chain: [change] });
      return;
    }
    if (this.lww && comparePositions(change.position, pending.change.position) < 0) {
      // A tombstone trailing a delete it is older than (by Kafka time) changes nothing.
      if (!(change.op === 'tombstone' && pending.change.kind === 'delete'))
        this.overruled.push({ change, current: pending.change.position });
      return;
    }
    const folds = change.kind === 'delete' || change.table.signature === pending.change.table.signature;
    if (!folds) {
      this.current = undefined;
      this.rows().set(id, { change, changed: change.changed, chain: [change] });
      return;
    }
    const changed =
      change.kind === 'upsert' && pending.change.kind === 'upsert'
        ? union(pending.changed, change.changed)
        : change.changed;
    pending.chain.push(change);
    rows.set(id, { change, changed, chain: pending.chain });
  }

  private rows(): Map<string, PendingRow> {
    if (!this.current) {
      this.current = new Map();
      this.steps.push({ kind: 'rows', rows: this.current });
    }
    return this.current;
  }
}

function union(a: readonly boolean[] | undefined, b: readonly boolean[] | undefined): boolean[] | undefined {
  if (!a || !b) return undefined;
  return a.map((v, i) => v || b[i]);
}
