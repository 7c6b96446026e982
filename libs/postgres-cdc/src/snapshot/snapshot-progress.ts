import { qualifiedName, type TableName } from '../replication/table-name';

export interface TableProgress {
  readonly table: string;
  readonly rowsDone: number;
  /** An estimate (pg_class.reltuples) unless exact counts were asked for. */
  readonly rowsTotal: number;
  readonly done: boolean;
}

export interface SnapshotProgressView {
  readonly rowsDone: number;
  readonly rowsTotal: number;
  readonly rowsPerSecond: number;
  /** Seconds left at the current rate; undefined before the first rows. */
  readonly etaSeconds: number | undefined;
  readonly tables: readonly TableProgress[];
}

type Listener = (view: SnapshotProgressView) => void;

/** How far a snapshot got, table by table, with rate and ETA; listeners hear every chunk. */
export class SnapshotProgress {
  private readonly tables = new Map<string, { rowsDone: number; rowsTotal: number; done: boolean }>();
  private readonly listeners = new Set<Listener>();
  private startedAt: number | undefined;
  private rowsDone = 0;

  constructor(private readonly now: () => number = Date.now) {}

  addTable(name: TableName, rowsTotal: number): void {
    this.tables.set(qualifiedName(name), { rowsDone: 0, rowsTotal: Math.max(0, rowsTotal), done: false });
    this.emit();
  }

  record(name: TableName, rows: number): void {
    this.startedAt ??= this.now();
    const table = this.tables.get(qualifiedName(name));
    if (table !== undefined) {
      table.rowsDone += rows;
      // An estimate can be low; never report more done than total.
      if (table.rowsDone > table.rowsTotal) table.rowsTotal = table.rowsDone;
    }
    this.rowsDone += rows;
    this.emit();
  }

  completeTable(name: TableName): void {
    const table = this.tables.get(qualifiedName(name));
    if (table !== undefined) {
      table.done = true;
      table.rowsTotal = table.rowsDone;
    }
    this.emit();
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get view(): SnapshotProgressView {
    let rowsTotal = 0;
    const tables: TableProgress[] = [];
    for (const [table, t] of this.tables) {
      rowsTotal += t.rowsTotal;
      tables.push({ table, ...t });
    }
    const seconds = this.startedAt === undefined ? 0 : (this.now() - this.startedAt) / 1000;
    const rowsPerSecond = seconds > 0 ? this.rowsDone / seconds : 0;
    const left = Math.max(0, rowsTotal - this.rowsDone);
    return {
      rowsDone: this.rowsDone,
      rowsTotal,
      rowsPerSecond,
      etaSeconds: rowsPerSecond > 0 ? left / rowsPerSecond : undefined,
      tables,
    };
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    const view = this.view;
    for (const listener of this.listeners) listener(view);
  }
}
