import { z } from 'zod';
import { kafkaConfigSchema } from '@sluice/kafka';
import {
  httpConfigSchema,
  livenessConfigSchema,
  loggingConfigSchema,
  tracingConfigSchema,
} from '@sluice/observability';
import { schemaRegistryConfigSchema } from '@sluice/schema';

/**
 * The settings every connector app shares, after its own: where Kafka and the registry are, its
 * management HTTP endpoint, liveness, logging and tracing. Kafka's client id is `sluice-<name>`.
 */
export function connectorConfigTail(name: string, port: number) {
  return {
    kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: `sluice-${name}` }),
    registry: schemaRegistryConfigSchema,
    http: httpConfigSchema(port),
    liveness: livenessConfigSchema,
    logging: loggingConfigSchema,
    tracing: tracingConfigSchema,
  };
}

export type ConnectorConfigTail = z.output<z.ZodObject<ReturnType<typeof connectorConfigTail>>>;
