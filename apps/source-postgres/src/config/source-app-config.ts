import { z } from 'zod';
import { loadAppConfig } from '@sluice/config';
import { kafkaConfigSchema } from '@sluice/kafka';
import { httpConfigSchema, loggingConfigSchema, tracingConfigSchema } from '@sluice/observability';
import { sourceConfigSchema } from '@sluice/postgres-cdc';
import { schemaRegistryConfigSchema } from '@sluice/schema';

/**
 * The source-postgres app's configuration: the connector's settings (`@sluice/postgres-cdc`'s
 * schema, documented in docs/source-postgres.md) plus where Kafka and the registry are, the
 * management HTTP endpoint and logging.
 */
export const sourceAppConfigSchema = sourceConfigSchema.extend({
  kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: 'sluice-source-postgres' }),
  registry: schemaRegistryConfigSchema,
  http: httpConfigSchema(8101),
  logging: loggingConfigSchema,
  tracing: tracingConfigSchema,
});

export type SourceAppConfig = z.output<typeof sourceAppConfigSchema>;
export type SourceAppConfigInput = z.input<typeof sourceAppConfigSchema>;

export function loadSourceAppConfig(argv: readonly string[]): SourceAppConfig {
  return loadAppConfig(sourceAppConfigSchema, argv);
}
