import { z } from 'zod';
import { kafkaConfigSchema } from '@sluice/kafka';
import { httpConfigSchema, loggingConfigSchema, tracingConfigSchema } from '@sluice/observability';
import { schemaRegistryConfigSchema } from '@sluice/schema';

/**
 * The settings every connector app shares, after its own: where Kafka and the registry are, its
 * management HTTP endpoint, logging and tracing. Kafka's client id is `sluice-<name>`. `liveness`
 * is not among them: a connector with a progress watchdog declares it in its own settings, so that
 * one without refuses the key instead of ignoring it.
 */
export function connectorConfigTail(name: string, port: number) {
  return {
    kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: `sluice-${name}` }),
    registry: schemaRegistryConfigSchema,
    http: httpConfigSchema(port),
    logging: loggingConfigSchema,
    tracing: tracingConfigSchema,
  };
}

export type ConnectorConfigTail = z.output<z.ZodObject<ReturnType<typeof connectorConfigTail>>>;
