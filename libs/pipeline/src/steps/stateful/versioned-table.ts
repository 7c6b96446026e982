/** A table row (a decoded record), or null: the key was deleted at that time. */
export type TableRow = Readonly<Record<string, unknown>> | null;

interface Version {
  readonly timestamp: number;
  readonly row: TableRow;
}

/**
 * The versions of a table by key and time (Kafka Streams' versioned key-value store): each table
 * record is a version of its key valid from its timestamp; `asOf(key, t)` is the version current at
 * time t (the latest with a timestamp at or before t; of equal timestamps the one read last). The
 * answer depends only on which table records were applied, never on when: a replay that applies the
 * same records answers the same. Versions are kept in memory for every key (no history pruning).
 */
export class VersionedTable {
  private readonly versions = new Map<string, Version[]>();
  private count = 0;

  /** Number of keys and of versions kept (status, tests). */
  get size(): { keys: number; versions: number } {
    return { keys: this.versions.size, versions: this.count };
  }

  /** A table record: `row` null deletes the key from `timestamp` on. */
  put(key: string, timestamp: number, row: TableRow): void {
    let list = this.versions.get(key);
    if (!list) {
      if (row === null) return; // deleting what never existed changes no answer
      list = [];
      this.versions.set(key, list);
    }
    // Records mostly arrive in time order: insert from the end.
    let i = list.length;
    while (i > 0 && list[i - 1]!.timestamp > timestamp) i -= 1;
    list.splice(i, 0, { timestamp, row });
    this.count += 1;
  }

  /** The row of `key` current at `timestamp`; undefined when there is none (never written, or deleted). */
  asOf(key: string, timestamp: number): Readonly<Record<string, unknown>> | undefined {
    const list = this.versions.get(key);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length;
    // First version with a timestamp after `timestamp`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.timestamp <= timestamp) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : (list[lo - 1]!.row ?? undefined);
  }

  clear(): void {
    this.versions.clear();
    this.count = 0;
  }
}

/**
 * A join's versioned tables by scope: one per table partition for a co-partitioned join (a record
 * looks in its own partition's), one for all partitions for a global table.
 */
export class ScopedTables {
  private readonly tables = new Map<number, VersionedTable>();

  constructor(private readonly global: boolean) {}

  /** A table record of `partition`. */
  put(partition: number, key: string, timestamp: number, row: TableRow): void {
    const scope = this.global ? -1 : partition;
    let table = this.tables.get(scope);
    if (!table) {
      table = new VersionedTable();
      this.tables.set(scope, table);
    }
    table.put(key, timestamp, row);
  }

  /** The row of `key` current at `timestamp`, for a stream record of `partition`. */
  asOf(partition: number, key: string, timestamp: number): Readonly<Record<string, unknown>> | undefined {
    return this.tables.get(this.global ? -1 : partition)?.asOf(key, timestamp);
  }

  /** Keys kept, over every scope. */
  get keys(): number {
    return [...this.tables.values()].reduce((n, t) => n + t.size.keys, 0);
  }

  clear(): void {
    this.tables.clear();
  }
}
