import { RegistryApi } from '@sluice/schema-catalog';
import { parseAvroSchema, type SchemaRegistryConfig } from '@sluice/schema';
import { diffSchemas, type SchemaDiff } from './schema-diff';

/**
 * The registry for the console, over its Confluent REST API (@sluice/schema-catalog's client):
 * subjects, versions, compatibility levels, a side-by-side diff of two versions, and whether a
 * pasted schema would be accepted as a subject's next version.
 */
export class SchemaBrowser {
  private readonly api: RegistryApi;

  constructor(registry: SchemaRegistryConfig) {
    this.api = new RegistryApi(registry.url, registry.auth);
  }

  async subjects(filter = ''): Promise<string[]> {
    return (await this.api.subjects()).filter((s) => s.includes(filter)).sort();
  }

  async subject(subject: string) {
    const [versions, compatibility, latest] = await Promise.all([
      this.api.versions(subject),
      this.api.compatibilityLevel(subject),
      this.api.version(subject, 'latest'),
    ]);
    return { subject, versions, compatibility, latest };
  }

  async diff(
    subject: string,
    left: number,
    right: number,
  ): Promise<SchemaDiff & { left: number; right: number }> {
    const [a, b] = await Promise.all([this.api.version(subject, left), this.api.version(subject, right)]);
    return { left, right, ...diffSchemas(a.schema, b.schema) };
  }

  /**
   * Whether `schema` would be accepted as the subject's next version, by the registry's own rules
   * (its compatibility level); a schema that is not valid Avro is refused before the registry.
   */
  async check(subject: string, schema: string) {
    parseAvroSchema(schema);
    const [result, compatibility] = await Promise.all([
      this.api.testCompatibility(subject, schema),
      this.api.compatibilityLevel(subject).catch(() => 'unknown'),
    ]);
    return { subject, compatibility, ...result };
  }
}
