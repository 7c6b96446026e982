import { Injectable } from '@nestjs/common';
import { checkCompatibility } from '@sluice/schema';
import { RegistryErrors } from '../errors/registry-error';
import { type Db, RegistryStore, type StoredVersionWithSchema } from '../storage/registry-store';
import { CompatibilityConfigService } from './compatibility-config.service';
import { type CandidateSchema } from './schema-request';
import { SchemasService } from './schemas.service';
import { type VersionRef } from './version-ref';

/** A version as the API shows it. `schemaType` is left out for Avro, as Confluent does. */
export interface SubjectVersionView {
  subject: string;
  id: number;
  version: number;
  schemaType?: string;
  schema: string;
}

export function versionView(row: StoredVersionWithSchema): SubjectVersionView {
  const view: SubjectVersionView = {
    subject: row.subject,
    id: row.schemaId,
    version: row.version,
    schema: row.schema,
  };
  if (row.schemaType !== 'AVRO') view.schemaType = row.schemaType;
  return view;
}

/** Subjects and their versions: registration, look-ups, soft and permanent deletes. */
@Injectable()
export class SubjectsService {
  constructor(
    private readonly store: RegistryStore,
    private readonly levels: CompatibilityConfigService,
    private readonly schemas: SchemasService,
  ) {}

  /**
   * Registers `candidate` under `subject` and returns its global id. A schema already live in the
   * subject returns its id and adds no version. Otherwise, under the subject's row lock: check
   * compatibility with the live versions, find or insert the schema by canonical hash, add
   * version last+1.
   */
  async register(subject: string, candidate: CandidateSchema): Promise<number> {
    const known = await this.store.versionByHash(this.store.db, subject, candidate.canonicalHash, false);
    if (known) return known.schemaId;
    const id = await this.store.transaction(async (db) => {
      const lastVersion = await this.store.lockSubjectForWrite(db, subject);
      const registered = await this.store.versionByHash(db, subject, candidate.canonicalHash, false);
      if (registered) return registered.schemaId;
      const live = await this.store.versions(db, subject, false);
      const level = await this.levels.effectiveLevel(db, subject);
      const verdict = checkCompatibility(
        candidate.schema,
        live.map((v) => v.schema),
        level,
        { versions: live.map((v) => v.version) },
      );
      if (!verdict.compatible) throw RegistryErrors.incompatibleSchema(subject, verdict.messages);
      const schemaId = await this.store.schemaIdFor(db, candidate);
      await this.store.addVersion(db, subject, lastVersion + 1, schemaId);
      return schemaId;
    });
    return id;
  }

  /** `POST /subjects/{subject}`: the version of `subject` holding this schema. */
  async lookup(
    subject: string,
    candidate: CandidateSchema,
    includeDeleted: boolean,
  ): Promise<SubjectVersionView> {
    const found = await this.store.versionByHash(
      this.store.db,
      subject,
      candidate.canonicalHash,
      includeDeleted,
    );
    if (found) return versionView(found);
    const versions = await this.store.versions(this.store.db, subject, includeDeleted);
    if (versions.length === 0) throw RegistryErrors.subjectNotFound(subject);
    throw RegistryErrors.schemaNotFound();
  }

  subjects(includeDeleted: boolean): Promise<string[]> {
    return this.store.subjectNames(this.store.db, includeDeleted);
  }

  async versionNumbers(subject: string, includeDeleted: boolean): Promise<number[]> {
    const versions = await this.store.versions(this.store.db, subject, includeDeleted);
    if (versions.length === 0) throw RegistryErrors.subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  async version(subject: string, ref: VersionRef, includeDeleted: boolean): Promise<SubjectVersionView> {
    const row = await this.resolve(this.store.db, subject, ref, includeDeleted);
    this.schemas.remember({ id: row.schemaId, schemaType: row.schemaType, schema: row.schema });
    return versionView(row);
  }

  /** Live versions of a subject, oldest first (what compatibility is checked against). */
  liveVersions(subject: string): Promise<StoredVersionWithSchema[]> {
    return this.store.versions(this.store.db, subject, false);
  }

  /**
   * `DELETE /subjects/{subject}`: soft-deletes every live version, or with `permanent` purges a
   * subject soft-deleted before. Returns the versions deleted.
   */
  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.store.transaction(async (db) => {
      if (!(await this.store.lockExistingSubject(db, subject))) throw RegistryErrors.subjectNotFound(subject);
      const all = await this.store.versions(db, subject, true);
      if (all.length === 0) throw RegistryErrors.subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted).map((v) => v.version);
      if (!permanent) {
        if (live.length === 0) throw RegistryErrors.subjectSoftDeleted(subject);
        await this.store.softDeleteVersions(db, subject, live);
        return live;
      }
      if (live.length > 0) throw RegistryErrors.subjectNotSoftDeleted(subject);
      const numbers = all.map((v) => v.version);
      await this.store.purgeVersions(db, subject, numbers);
      await this.levels.deleteSubjectLevelIfAny(db, subject);
      return numbers;
    });
  }

  /** `DELETE /subjects/{subject}/versions/{version}`: soft, or permanent after a soft delete. */
  deleteVersion(subject: string, ref: VersionRef, permanent: boolean): Promise<number> {
    return this.store.transaction(async (db) => {
      if (!(await this.store.lockExistingSubject(db, subject))) throw RegistryErrors.subjectNotFound(subject);
      // "latest" is the newest live version (the newest of all for a permanent delete); a number
      // may name a soft-deleted version, which a second soft delete reports as such
      const row = await this.resolve(db, subject, ref, ref === 'latest' ? permanent : true);
      if (!permanent) {
        if (row.deleted) throw RegistryErrors.versionSoftDeleted(subject, row.version);
        await this.store.softDeleteVersions(db, subject, [row.version]);
      } else {
        if (!row.deleted) throw RegistryErrors.versionNotSoftDeleted(subject, row.version);
        await this.store.purgeVersions(db, subject, [row.version]);
      }
      return row.version;
    });
  }

  /** A version by number or "latest"; 40401 when the subject has none, 40402 when not this one. */
  private async resolve(
    db: Db,
    subject: string,
    ref: VersionRef,
    includeDeleted: boolean,
  ): Promise<StoredVersionWithSchema> {
    const row =
      ref === 'latest'
        ? await this.store.latestVersion(db, subject, includeDeleted)
        : await this.store.version(db, subject, ref);
    if (row && (includeDeleted || !row.deleted)) return row;
    const any = await this.store.latestVersion(db, subject, includeDeleted);
    if (!any) throw RegistryErrors.subjectNotFound(subject);
    throw RegistryErrors.versionNotFound(ref === 'latest' ? 'latest' : ref);
  }
}
