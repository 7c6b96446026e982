// The example service's configuration: where Kafka and the registry are, which topic the
// `orders` handler reads and where its totals go, and the stream runtime's settings.
import { z } from 'zod';
import { kafkaConfigSchema } from '@sluice/kafka';

export const nestConsumerConfigSchema = z.strictObject({
  kafka: kafkaConfigSchema,
  registryUrl: z.url().describe('Schema registry (Confluent REST API). Required.'),
  ordersTopic: z.string().min(1).describe('Topic bound to the @EventPattern("orders") handler. Required.'),
  totalsTopic: z.string().min(1).describe('Where the handler writes each order total. Required.'),
  // Checked by the transport against @sluice/stream's streamRuntimeConfigSchema (topics come from
  // the handlers), so errors name the path and every default is documented there.
  runtime: z
    .looseObject({ group: z.string() })
    .describe('Stream runtime settings (docs/stream-runtime.md); group is required.'),
});
export type NestConsumerConfig = z.output<typeof nestConsumerConfigSchema>;
