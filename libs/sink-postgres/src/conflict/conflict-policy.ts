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

/**
 * A per-table rule decided by a Postgres function of the target database (`schema.name`), called
 * with both versions when a row was changed on both sides (see `ResolutionFunction`).
 */
export interface FunctionRule {
  readonly function: string;
}

/** What `tables.<topic>.conflictRule` may name: a built-in rule or a resolution function. */
export type TableConflictRule = ConflictRule | FunctionRule;

/** The argument types a resolution function must take, in order, and the type it returns. */
export const RESOLUTION_FUNCTION_ARGS = ['jsonb', 'jsonb', 'bigint', 'bigint', 'text', 'text'] as const;
export const RESOLUTION_FUNCTION_RETURNS = 'jsonb';

/** `schema.name` of a resolution function, split (both parts plain identifiers, validated by the config). */
export function functionParts(name: string): { readonly schema: string; readonly name: string } {
  const dot = name.indexOf('.');
  return { schema: name.slice(0, dot), name: name.slice(dot + 1) };
}

/** The rule as `sluice_conflicts.rule` records it and a map key tells rules apart. */
export function ruleName(rule: TableConflictRule): string {
  return typeof rule === 'string' ? rule : `function:${rule.function}`;
}

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
  /** The rule's name (`function:<schema.name>` for a resolution function): sluice_conflicts.rule. */
  readonly rule: string;
  /**
   * A resolution function (`schema.name`) decides between two row versions; `winsSql` then only
   * orders writers where no version is at stake (two deletions) and picks the last writer a merged
   * row keeps.
   */
  readonly resolver?: string;
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
  readonly rule: string = 'last-writer-wins';
  readonly needsCommitTimestamps: boolean = true;

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

/**
 * A resolution function of the target database decides each conflict between two row versions:
 * `f(local jsonb, incoming jsonb, local_ts_ms bigint, incoming_ts_ms bigint, local_site text,
 * incoming_site text) RETURNS jsonb`, a deleted side passed as NULL, answering `"local"`,
 * `"incoming"` or the row to keep (a jsonb object with every column, the key unchanged). It runs in
 * the sink's writing statement with the row locked; both databases call it with the sides swapped,
 * so it must decide the same for the same two versions (docs/two-way-sync.md). Where no version is
 * at stake (a deletion meeting a tombstone) and for the last writer of a merged row, writers are
 * ordered as last-writer-wins orders them; unknown local commit times count as oldest there.
 */
export class ResolutionFunction extends LastWriterWins {
  override readonly rule: string;
  override readonly needsCommitTimestamps = false;

  constructor(readonly resolver: string) {
    super();
    this.rule = `function:${resolver}`;
  }
}

/** The policy a rule names; `prioritySite` is required by `source-priority`. */
export function conflictPolicyFor(rule: TableConflictRule, prioritySite?: string): ConflictPolicy {
  if (typeof rule !== 'string') return new ResolutionFunction(rule.function);
  if (rule === 'last-writer-wins') return new LastWriterWins();
  if (prioritySite === undefined) throw new Error('source-priority needs a priority site');
  return new SourcePriority(prioritySite);
}
