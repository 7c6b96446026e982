import { FatalRecordError } from '@sluice/errors';
import { canonicalAvroSchema } from '../avro/canonical-avro-schema';
import type { SchemaRegistryClient } from './schema-registry-client';
import { SchemaRegistryUnavailableError } from './schema-registry-unavailable-error';
import { UnknownSchemaIdError } from './unknown-schema-id-error';
import { subjectNotFound } from './subject-not-found';

/**
 * An in-process registry with the Confluent registry's id rules (one global id per canonical
 * schema, shared across subjects), for unit tests and demos. It counts calls so tests can prove the
 * serde caches, and can be switched to "unavailable" to exercise the retriable path. No
 * compatibility checks: that is the registry service's job.
 */
export class InMemorySchemaRegistry implements SchemaRegistryClient {
  /** Registry calls made so far, by method. */
  readonly calls = { register: 0, lookup: 0, schemaById: 0, latestId: 0 };
  /** While true every call fails with `SchemaRegistryUnavailableError`. */
  unavailable = false;

  private readonly idsByCanonical = new Map<string, number>();
  private readonly schemas = new Map<number, string>();
  private readonly subjects = new Map<string, Set<number>>();

  async register(subject: string, schema: string): Promise<number> {
    this.calls.register++;
    this.check();
    const canonical = canonicalAvroSchema(schema);
    let id = this.idsByCanonical.get(canonical);
    if (id === undefined) {
      id = this.schemas.size + 1;
      this.idsByCanonical.set(canonical, id);
      this.schemas.set(id, schema);
    }
    const ids = this.subjects.get(subject) ?? new Set();
    this.subjects.set(subject, ids.add(id));
    return id;
  }

  async lookup(subject: string, schema: string): Promise<number> {
    this.calls.lookup++;
    this.check();
    const id = this.idsByCanonical.get(canonicalAvroSchema(schema));
    if (id === undefined || !this.subjects.get(subject)?.has(id)) {
      throw new FatalRecordError(`The schema is not registered under subject "${subject}"`, {
        code: 'SCHEMA_NOT_REGISTERED',
      });
    }
    return id;
  }

  async schemaById(id: number): Promise<string> {
    this.calls.schemaById++;
    this.check();
    const schema = this.schemas.get(id);
    if (schema === undefined) throw new UnknownSchemaIdError(id);
    return schema;
  }

  async latestId(subject: string): Promise<number> {
    this.calls.latestId++;
    this.check();
    const ids = [...(this.subjects.get(subject) ?? [])];
    if (ids.length === 0) throw subjectNotFound(subject);
    return ids[ids.length - 1];
  }

  private check(): void {
    if (this.unavailable)
      throw new SchemaRegistryUnavailableError('in-memory schema registry set unavailable');
  }
}
