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
  async ensure(scope: PublicationScope): Promise<PublicationChange> {
    if (!(await this.exists())) {
      await this.session.query(
        `CREATE PUBLICATION ${quoteIdent(this.name)} ${this.forClause(scope)}`,
        [],
        this.context('Creating'),
      );
      return { created: true, added: scope.kind === 'tables' ? [...scope.tables] : [] };
    }
    if (scope.kind !== 'tables') return { created: false, added: [] };
    const present = new Set((await this.tables()).map(qualifiedName));
    const missing = scope.tables.filter((t) => !present.has(qualifiedName(t)));
    if (missing.length > 0) {
      await this.session.query(
        `ALTER PUBLICATION ${quoteIdent(this.name)} ADD TABLE ${missing.map(quotedName).join(', ')}`,
        [],
        this.context('Adding tables to'),
      );
    }
    return { created: false, added: missing };
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
