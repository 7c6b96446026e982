import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
// The error classes are not re-exported by the package index.
import { ConfluentSchemaRegistryError } from '@kafkajs/confluent-schema-registry/dist/errors';
import { FatalRecordError } from '@sluice/errors';
import { avscOptions } from '../avro/avsc-types';
import { classifyRegistryError } from './registry-errors';
import type { SchemaRegistryClient } from './schema-registry-client';
import { UnknownSchemaIdError } from './unknown-schema-id-error';
import { subjectNotFound } from './subject-not-found';

export interface ConfluentSchemaRegistryConfig {
  /** e.g. `http://127.0.0.1:8081` */
  readonly url: string;
  /** HTTP basic auth (Confluent Cloud API key and secret). */
  readonly auth?: { readonly username: string; readonly password: string };
  readonly clientId?: string;
  /** Retries of 5xx answers inside the library (exponential backoff); default 3. */
  readonly retries?: number;
}

/**
 * The library's own REST resources (mappersmith), for the two calls where its high-level methods
 * do more than Sluice asks: `register()` first reads the subject's compatibility level, throws if
 * it is not BACKWARD and writes BACKWARD on a new subject (a producer must not change subject
 * configuration), and `getSchema()` returns an avsc type where the serde needs the schema text.
 * These are the same resources the library calls; the package version is pinned.
 */
interface RegistryApi {
  readonly Schema: { find(params: { id: number }): Promise<{ data(): { schema: string } }> };
  readonly Subject: {
    register(params: { subject: string; body: { schema: string } }): Promise<{ data(): { id: number } }>;
  };
}

/** `SchemaRegistryClient` over the Confluent REST API, by `@kafkajs/confluent-schema-registry`. */
export class ConfluentSchemaRegistryClient implements SchemaRegistryClient {
  private readonly registry: SchemaRegistry;
  private readonly api: RegistryApi;

  constructor(config: ConfluentSchemaRegistryConfig) {
    this.registry = new SchemaRegistry(
      {
        host: config.url,
        ...(config.auth ? { auth: { username: config.auth.username, password: config.auth.password } } : {}),
        ...(config.clientId ? { clientId: config.clientId } : {}),
        retry: { retries: config.retries ?? 3 },
      },
      { [SchemaType.AVRO]: avscOptions() },
    );
    this.api = (this.registry as unknown as { api: RegistryApi }).api;
  }

  async register(subject: string, schema: string): Promise<number> {
    try {
      const response = await this.api.Subject.register({ subject, body: { schema } });
      return response.data().id;
    } catch (error) {
      throw classifyRegistryError(error, `registering a schema under subject "${subject}"`, () =>
        notRegistered(subject, error),
      );
    }
  }

  async lookup(subject: string, schema: string): Promise<number> {
    try {
      return await this.registry.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema });
    } catch (error) {
      // The library turns the registry's 404 into a bare ConfluentSchemaRegistryError (no status).
      if (error?.constructor === ConfluentSchemaRegistryError) throw notRegistered(subject, error);
      throw classifyRegistryError(error, `looking up a schema under subject "${subject}"`, () =>
        notRegistered(subject, error),
      );
    }
  }

  async schemaById(id: number): Promise<string> {
    try {
      const response = await this.api.Schema.find({ id });
      return response.data().schema;
    } catch (error) {
      throw classifyRegistryError(
        error,
        `fetching schema id ${id}`,
        () => new UnknownSchemaIdError(id, { cause: error }),
      );
    }
  }

  async latestId(subject: string): Promise<number> {
    try {
      return await this.registry.getLatestSchemaId(subject);
    } catch (error) {
      if (error?.constructor === ConfluentSchemaRegistryError) throw subjectNotFound(subject, error);
      throw classifyRegistryError(error, `fetching the latest schema of subject "${subject}"`, () =>
        subjectNotFound(subject, error),
      );
    }
  }
}

function notRegistered(subject: string, cause: unknown): FatalRecordError {
  return new FatalRecordError(`The schema is not registered under subject "${subject}"`, {
    cause,
    code: 'SCHEMA_NOT_REGISTERED',
  });
}
