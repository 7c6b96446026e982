import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { retryOnConflict } from './transaction-retry';

export interface StoredSchema {
  id: number;
  schemaType: string;
  schema: string;
}

export interface StoredVersion {
  subject: string;
  version: number;
  schemaId: number;
  deleted: boolean;
}

export interface StoredVersionWithSchema extends StoredVersion {
  schemaType: string;
  schema: string;
}

/** A schema about to be stored: its type, text and the hash of its canonical form. */
export interface SchemaToStore {
  schemaType: string;
  schema: string;
  canonicalHash: string;
}

/** What a read or a transaction runs against: the pool, or one transaction's connection. */
export type Db = EntityManager;

const VERSION_COLUMNS = `sv.subject, sv.version, sv.schema_id AS "schemaId", sv.deleted,
  s.schema_type AS "schemaType", s.schema`;

/**
 * All SQL of the registry, in one place. Every write runs in a READ COMMITTED transaction that
 * first locks its subject's row; unique constraints catch what the locks do not (two replicas
 * inserting the same new schema), and `transaction()` retries those conflicts.
 */
@Injectable()
export class RegistryStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The pool, for reads outside a transaction. */
  get db(): Db {
    return this.dataSource.manager;
  }

  /** Runs `work` in one transaction, again from the start when another replica got in the way. */
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return retryOnConflict(() => this.dataSource.transaction('READ COMMITTED', work));
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  // ---- schemas (immutable, global ids) ----

  async schemaById(db: Db, id: number): Promise<StoredSchema | undefined> {
    const rows: StoredSchema[] = await db.query(
      'SELECT id, schema_type AS "schemaType", schema FROM schemas WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /** The id of the schema with this canonical hash, inserting it when new. */
  async schemaIdFor(db: Db, schema: SchemaToStore): Promise<number> {
    const found: { id: number }[] = await db.query('SELECT id FROM schemas WHERE canonical_hash = $1', [
      schema.canonicalHash,
    ]);
    if (found[0]) return found[0].id;
    // a concurrent insert of the same hash makes this wait, then raise 23505: the retry then finds it
    const inserted: { id: number }[] = await db.query(
      'INSERT INTO schemas (schema_type, schema, canonical_hash) VALUES ($1, $2, $3) RETURNING id',
      [schema.schemaType, schema.schema, schema.canonicalHash],
    );
    return inserted[0]!.id;
  }

  async versionsOfSchema(db: Db, schemaId: number): Promise<{ subject: string; version: number }[]> {
    return db.query(
      `SELECT subject, version FROM subject_versions
        WHERE schema_id = $1 AND NOT deleted ORDER BY subject, version`,
      [schemaId],
    );
  }

  // ---- subjects and versions ----

  /** Creates the subject if needed and locks its row; returns the last version it handed out. */
  async lockSubjectForWrite(db: Db, subject: string): Promise<number> {
    const rows: { lastVersion: number }[] = await db.query(
      `INSERT INTO subjects (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
         RETURNING last_version AS "lastVersion"`,
      [subject],
    );
    return rows[0]!.lastVersion;
  }

  /** Locks an existing subject's row; false when the subject was never created. */
  async lockExistingSubject(db: Db, subject: string): Promise<boolean> {
    const rows: unknown[] = await db.query('SELECT 1 FROM subjects WHERE name = $1 FOR UPDATE', [subject]);
    return rows.length > 0;
  }

  async addVersion(db: Db, subject: string, version: number, schemaId: number): Promise<void> {
    await db.query('INSERT INTO subject_versions (subject, version, schema_id) VALUES ($1, $2, $3)', [
      subject,
      version,
      schemaId,
    ]);
    await db.query('UPDATE subjects SET last_version = $2 WHERE name = $1', [subject, version]);
  }

  /** The newest version of `subject` holding the schema with this hash. */
  async versionByHash(
    db: Db,
    subject: string,
    canonicalHash: string,
    includeDeleted: boolean,
  ): Promise<StoredVersionWithSchema | undefined> {
    const rows: StoredVersionWithSchema[] = await db.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions sv JOIN schemas s ON s.id = sv.schema_id
        WHERE sv.subject = $1 AND s.canonical_hash = $2 AND ($3 OR NOT sv.deleted)
        ORDER BY sv.version DESC LIMIT 1`,
      [subject, canonicalHash, includeDeleted],
    );
    return rows[0];
  }

  /** Versions of a subject, oldest first. */
  async versions(db: Db, subject: string, includeDeleted: boolean): Promise<StoredVersionWithSchema[]> {
    return db.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions sv JOIN schemas s ON s.id = sv.schema_id
        WHERE sv.subject = $1 AND ($2 OR NOT sv.deleted) ORDER BY sv.version`,
      [subject, includeDeleted],
    );
  }

  async version(db: Db, subject: string, version: number): Promise<StoredVersionWithSchema | undefined> {
    const rows: StoredVersionWithSchema[] = await db.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions sv JOIN schemas s ON s.id = sv.schema_id
        WHERE sv.subject = $1 AND sv.version = $2`,
      [subject, version],
    );
    return rows[0];
  }

  async latestVersion(
    db: Db,
    subject: string,
    includeDeleted: boolean,
  ): Promise<StoredVersionWithSchema | undefined> {
    const rows: StoredVersionWithSchema[] = await db.query(
      `SELECT ${VERSION_COLUMNS} FROM subject_versions sv JOIN schemas s ON s.id = sv.schema_id
        WHERE sv.subject = $1 AND ($2 OR NOT sv.deleted) ORDER BY sv.version DESC LIMIT 1`,
      [subject, includeDeleted],
    );
    return rows[0];
  }

  async subjectNames(db: Db, includeDeleted: boolean): Promise<string[]> {
    const rows: { subject: string }[] = await db.query(
      `SELECT DISTINCT subject FROM subject_versions WHERE ($1 OR NOT deleted) ORDER BY subject`,
      [includeDeleted],
    );
    return rows.map((r) => r.subject);
  }

  async softDeleteVersions(db: Db, subject: string, versions: readonly number[]): Promise<void> {
    await db.query('UPDATE subject_versions SET deleted = true WHERE subject = $1 AND version = ANY($2)', [
      subject,
      versions,
    ]);
  }

  async purgeVersions(db: Db, subject: string, versions: readonly number[]): Promise<void> {
    await db.query('DELETE FROM subject_versions WHERE subject = $1 AND version = ANY($2)', [
      subject,
      versions,
    ]);
  }

  // ---- compatibility configuration ----

  /** The subject's level and the global level as stored ('' is the global scope). */
  async levels(db: Db, subject: string): Promise<{ subject?: string; global?: string }> {
    const rows: { scope: string; level: string }[] = await db.query(
      `SELECT scope, level FROM compatibility_configs WHERE scope IN ($1, '')`,
      [subject],
    );
    const out: { subject?: string; global?: string } = {};
    for (const row of rows) {
      if (row.scope === '') out.global = row.level;
      if (row.scope === subject && subject !== '') out.subject = row.level;
    }
    return out;
  }

  async setLevel(db: Db, scope: string, level: string): Promise<void> {
    await db.query(
      `INSERT INTO compatibility_configs (scope, level) VALUES ($1, $2)
         ON CONFLICT (scope) DO UPDATE SET level = EXCLUDED.level`,
      [scope, level],
    );
  }

  /** Removes a stored level; returns it, or undefined when none was set. */
  async deleteLevel(db: Db, scope: string): Promise<string | undefined> {
    // TypeORM answers a DELETE with [rows, rowCount]
    const [rows]: [{ level: string }[], number] = await db.query(
      'DELETE FROM compatibility_configs WHERE scope = $1 RETURNING level',
      [scope],
    );
    return rows[0]?.level;
  }
}
