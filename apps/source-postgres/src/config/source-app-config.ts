import { z } from 'zod';
import { loadAppConfig, wholeNumber } from '@sluice/config';
import { kafkaConfigSchema } from '@sluice/kafka';
import { loggingConfigSchema, tracingConfigSchema } from '@sluice/observability';
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
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1').describe('Management API address. Default 127.0.0.1.'),
      port: wholeNumber(0).default(8101).describe('Management API port; 0 picks a free one. Default 8101.'),
    })
    .prefault({}),
  logging: loggingConfigSchema,
  tracing: tracingConfigSchema,
});

export type SourceAppConfig = z.output<typeof sourceAppConfigSchema>;
export type SourceAppConfigInput = z.input<typeof sourceAppConfigSchema>;

export function loadSourceAppConfig(argv: readonly string[]): SourceAppConfig {
  return loadAppConfig(sourceAppConfigSchema, argv);
}
