import { Injectable } from '@nestjs/common';
import { RegistryErrors } from '../errors/registry-error';
import { RegistryStore, type StoredSchema } from '../storage/registry-store';
import { SchemaCache } from './schema-cache';

/** Schemas by global id. Ids are never reused nor their schema changed, so lookups are cached. */
@Injectable()
export class SchemasService {
  private readonly cache = new SchemaCache<StoredSchema>(50_000);

  constructor(private readonly store: RegistryStore) {}

  async byId(id: number): Promise<StoredSchema> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const found = await this.store.schemaById(this.store.db, id);
    if (!found) throw RegistryErrors.schemaNotFound(id);
    this.cache.set(id, found);
    return found;
  }

  /** Remembers a schema this replica just stored, sparing the first lookup a query. */
  remember(schema: StoredSchema): void {
    this.cache.set(schema.id, schema);
  }

  async subjectVersions(id: number): Promise<{ subject: string; version: number }[]> {
    await this.byId(id);
    return this.store.versionsOfSchema(this.store.db, id);
  }
}
