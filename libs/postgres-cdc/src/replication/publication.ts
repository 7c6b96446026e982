import { EnvironmentError } from '@sluice/errors';
import type { PostgresSession } from './postgres-session';
import { qualifiedName, quotedName, type TableName } from './table-name';

/** What a publication created by Sluice covers. */
export type PublicationScope =
  | { readonly kind: 'tables'; readonly tables: readonly TableName[] }
  | { readonly kind: 'all-tables' }
  | { readonly kind: 'schemas'; readonly schemas: readonly string[] };

export interface PublicationChange {
  readonly created: boolean;
  /** Tables added to an existing table-list publication. */
  readonly added: readonly TableName[];
  /** publish_via_partition_root turned on in an existing publication. */
  readonly viaRootSet?: boolean;
}

export interface PublicationOptions {
  /**
   * publish_via_partition_root: a partitioned table's changes under the root table's identity
   * (its Relation, its OID). Set when the publication is created; turned on in an existing one
   * that publishes a partitioned table among `partitioned`. Default false.
   */
  readonly viaPartitionRoot?: boolean;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A publication: which tables' changes pgoutput sends on a slot. */
export class Publication {
  constructor(
    private readonly session: PostgresSession,
    readonly name: string,
  ) {}

  async exists(): Promise<boolean> {
    const rows = await this.session.query(
      'SELECT 1 FROM pg_publication WHERE pubname = $1',
      [this.name],
      this.context('Reading'),
    );
    return rows.length > 0;
  }

  /** The tables the publication publishes now (whatever its kind). */
  async tables(): Promise<TableName[]> {
    const rows = await this.session.query(
      'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2',
      [this.name],
      this.context('Reading the tables of'),
    );
    return rows.map((r) => ({ schema: r.schemaname as string, table: r.tablename as string }));
  }

  /**
   * Creates the publication when missing; for a table-list publication, adds the scope's tables it
   * lacks (new tables matching the include patterns). FOR ALL TABLES / TABLES IN SCHEMA pick up new
   * tables by themselves.
   */
  async ensure(scope: PublicationScope, options: PublicationOptions = {}): Promise<PublicationChange> {
    const viaRoot = options.viaPartitionRoot === true;
    if (!(await this.exists())) {
      const withClause = viaRoot ? ' WITH (publish_via_partition_root = true)' : '';
      await this.session.query(
        `CREATE PUBLICATION ${quoteIdent(this.name)} ${this.forClause(scope)}${withClause}`,
        [],
        this.context('Creating'),
      );
      return { created: true, added: scope.kind === 'tables' ? [...scope.tables] : [] };
    }
    // Turned on before tables are added: pg_publication_tables then lists the roots.
    const viaRootSet =
      viaRoot &&
      !(await this.viaPartitionRoot()) &&
      (scope.kind !== 'tables' || (await partitionedTables(this.session, scope.tables)).length > 0);
    if (viaRootSet) {
      await this.session.query(
        `ALTER PUBLICATION ${quoteIdent(this.name)} SET (publish_via_partition_root = true)`,
        [],
        this.context('Setting publish_via_partition_root on'),
      );
    }
    if (scope.kind !== 'tables') return { created: false, added: [], ...(viaRootSet && { viaRootSet }) };
    const present = new Set((await this.tables()).map(qualifiedName));
    const missing = scope.tables.filter((t) => !present.has(qualifiedName(t)));
    if (missing.length > 0) {
      await this.session.query(
        `ALTER PUBLICATION ${quoteIdent(this.name)} ADD TABLE ${missing.map(quotedName).join(', ')}`,
        [],
        this.context('Adding tables to'),
      );
    }
    return { created: false, added: missing, ...(viaRootSet && { viaRootSet }) };
  }

  /** pg_publication.pubviaroot. */
  async viaPartitionRoot(): Promise<boolean> {
    const rows = await this.session.query(
      'SELECT pubviaroot::text AS via_root FROM pg_publication WHERE pubname = $1',
      [this.name],
      this.context('Reading'),
    );
    return rows[0]?.via_root === 'true';
  }

  private forClause(scope: PublicationScope): string {
    switch (scope.kind) {
      case 'all-tables':
        return 'FOR ALL TABLES';
      case 'schemas':
        return `FOR TABLES IN SCHEMA ${scope.schemas.map(quoteIdent).join(', ')}`;
      case 'tables':
        // An empty table list is a valid publication; tables are added as they appear.
        return scope.tables.length > 0 ? `FOR TABLE ${scope.tables.map(quotedName).join(', ')}` : '';
    }
  }

  /** Throws naming the publication, the tables it lacks and the command that fixes it. */
  async checkCovers(tables: readonly TableName[]): Promise<void> {
    if (!(await this.exists())) {
      throw new EnvironmentError(
        `Publication ${this.name} does not exist: create it (CREATE PUBLICATION ${this.name} FOR TABLE ...) or ` +
          `let Sluice create it (publication.autocreate)`,
        { code: 'PG_PUBLICATION_MISSING' },
      );
    }
    const present = new Set((await this.tables()).map(qualifiedName));
    const missing = tables.filter((t) => !present.has(qualifiedName(t)));
    if (missing.length > 0 && !(await this.viaPartitionRoot())) {
      // Without publish_via_partition_root the publication lists a partitioned table's partitions.
      const partitioned = await partitionedTables(this.session, missing);
      if (partitioned.length > 0) {
        throw new EnvironmentError(
          `Publication ${this.name} publishes the partitions of ${partitioned.map(qualifiedName).join(', ')} ` +
            `under their own names, and the source captures the partitioned table: ALTER PUBLICATION ${this.name} ` +
            `SET (publish_via_partition_root = true) (or let Sluice create the publication, publication.viaPartitionRoot)`,
          { code: 'PG_PUBLICATION_NOT_VIA_ROOT' },
        );
      }
    }
    if (missing.length > 0) {
      throw new EnvironmentError(
        `Publication ${this.name} does not publish ${missing.map(qualifiedName).join(', ')}, which the source ` +
          `captures: ALTER PUBLICATION ${this.name} ADD TABLE ${missing.map(quotedName).join(', ')} (or exclude them)`,
        { code: 'PG_PUBLICATION_MISSING_TABLES' },
      );
    }
  }

  async drop(): Promise<void> {
    await this.session.query(
      `DROP PUBLICATION IF EXISTS ${quoteIdent(this.name)}`,
      [],
      this.context('Dropping'),
    );
  }

  private context(what: string): string {
    return `${what} publication ${this.name}`;
  }
}

/** Which of `tables` are partitioned tables (relkind 'p'). */
export async function partitionedTables(
  session: PostgresSession,
  tables: readonly TableName[],
): Promise<TableName[]> {
  if (tables.length === 0) return [];
  const rows = await session.query(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'p' AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      ORDER BY 1, 2`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
    'Finding partitioned tables',
  );
  return rows.map((r) => ({ schema: r.schema as string, table: r.table as string }));
}
