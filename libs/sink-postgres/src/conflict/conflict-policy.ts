/**
 * How two-way sync (`sync`) decides between a change arriving from the peer database and the
 * target row's last writer (a local write, or an earlier change the sink applied). A writer is a
 * commit timestamp (the source's `source.ts_ms`; for a local write the target's own
 * `pg_xact_commit_timestamp`) and a site id. The same rule runs on both databases, over the same
 * two writers, so both make the same choice: that is what makes them converge.
 *
 * The decision is taken in SQL, in the statement that writes the row (`winsSql`), so it is atomic
 * with the write; `wins` is the same rule in TypeScript, for the specs and for reasoning.
 */
export type ConflictRule = 'last-writer-wins' | 'source-priority';

export const CONFLICT_RULES: readonly ConflictRule[] = ['last-writer-wins', 'source-priority'];

/** A row's last writer. `tsMs` null: unknown (a local write made before commit timestamps were tracked). */
export interface LastWriter {
  readonly tsMs: bigint | null;
  readonly site: string;
}

/** The same, as SQL expressions (a bigint and a text). */
export interface SqlWriter {
  readonly ts: string;
  readonly site: string;
}

export interface ConflictPolicy {
  readonly rule: ConflictRule;
  /** Whether the decision needs the commit time of local writes (track_commit_timestamp). */
  readonly needsCommitTimestamps: boolean;
  /**
   * Whether `incoming` is applied over `current`. Equal writers are the same change (a replay):
   * applied, not a conflict. Total: of two different writers exactly one wins.
   */
  wins(incoming: LastWriter, current: LastWriter): boolean;
  /** `wins` as a SQL boolean expression (never null). */
  winsSql(incoming: SqlWriter, current: SqlWriter): string;
  /** The site that wins between two writers (for the conflict record). */
  winner(a: LastWriter, b: LastWriter): string;
}

const ts = (w: LastWriter): bigint => w.tsMs ?? -1n;

function compareTuples(a: ReadonlyArray<bigint | string>, b: ReadonlyArray<bigint | string>): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/** Bytewise order of site ids in SQL, whatever the database's collation. */
const siteSql = (site: string): string => `(${site}) COLLATE "C"`;

/**
 * Last writer wins: the later commit timestamp; at the same millisecond, the greater site id
 * (bytewise). A local write whose commit time is unknown counts as older than any other.
 */
export class LastWriterWins implements ConflictPolicy {
  readonly rule = 'last-writer-wins' as const;
  readonly needsCommitTimestamps = true;

  wins(incoming: LastWriter, current: LastWriter): boolean {
    return compareTuples([ts(incoming), incoming.site], [ts(current), current.site]) >= 0;
  }

  winsSql(incoming: SqlWriter, current: SqlWriter): string {
    return (
      `((coalesce(${incoming.ts}, -1), ${siteSql(incoming.site)}) >= ` +
      `(coalesce(${current.ts}, -1), ${siteSql(current.site)}))`
    );
  }

  winner(a: LastWriter, b: LastWriter): string {
    return this.wins(a, b) ? a.site : b.site;
  }
}

/**
 * Source priority: a change written at the priority site wins over one written at the other
 * site, whatever their times; between two changes of one site, the later commit wins. The other
 * site's change to a row the priority site wrote last is therefore always overruled. Needs no
 * commit timestamps of local writes (a local write and a peer's change are never of one site).
 */
export class SourcePriority implements ConflictPolicy {
  readonly rule = 'source-priority' as const;
  readonly needsCommitTimestamps = false;

  constructor(readonly prioritySite: string) {}

  wins(incoming: LastWriter, current: LastWriter): boolean {
    const rank = (w: LastWriter): bigint => (w.site === this.prioritySite ? 1n : 0n);
    return (
      compareTuples(
        [rank(incoming), ts(incoming), incoming.site],
        [rank(current), ts(current), current.site],
      ) >= 0
    );
  }

  winsSql(incoming: SqlWriter, current: SqlWriter): string {
    const p = `'${this.prioritySite.replace(/'/g, "''")}'`;
    const rank = (site: string) => `(CASE WHEN ${site} = ${p} THEN 1 ELSE 0 END)`;
    return (
      `((${rank(incoming.site)}, coalesce(${incoming.ts}, -1), ${siteSql(incoming.site)}) >= ` +
      `(${rank(current.site)}, coalesce(${current.ts}, -1), ${siteSql(current.site)}))`
    );
  }

  winner(a: LastWriter, b: LastWriter): string {
    return this.wins(a, b) ? a.site : b.site;
  }
}

/** The policy a rule names; `prioritySite` is required by `source-priority`. */
export function conflictPolicyFor(rule: ConflictRule, prioritySite?: string): ConflictPolicy {
  if (rule === 'last-writer-wins') return new LastWriterWins();
  if (prioritySite === undefined) throw new Error('source-priority needs a priority site');
  return new SourcePriority(prioritySite);
}
