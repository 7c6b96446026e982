import { z } from 'zod';
import { loadAppConfig } from '@sluice/config';
import { kafkaConfigSchema } from '@sluice/kafka';
import { httpConfigSchema, loggingConfigSchema } from '@sluice/observability';
import { schemaRegistryConfigSchema } from '@sluice/schema';

const httpUrl = (example: string) =>
  z.url({ protocol: /^https?$/, error: `expected an http(s) URL such as ${example}` });

/** One running Sluice app the console watches and operates through its management API. */
export const consoleAppSchema = z.strictObject({
  url: httpUrl('http://127.0.0.1:8102').describe(
    "The app's HTTP address (its /status, /metrics and management API), e.g. http://127.0.0.1:8102.",
  ),
  token: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The app's management token (`http.token`) the console sends on pause, resume and restart, e.g. " +
        '`${SLUICE_MANAGEMENT_TOKEN}`. Default none (an app without a token answers on loopback only).',
    ),
  service: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The service name the app's traces carry in Jaeger (its `service.name`: the app's name, e.g. " +
        "sink-http, unless OTEL_SERVICE_NAME changes it), for its connectors' trace links. Default none " +
        '(a transformer is assumed to be `transformer`; other links open the search without a service).',
    ),
});

/**
 * The console's configuration. This zod schema is also its documentation (docs/console.md's table):
 * every field, its default and what it means.
 */
export const consoleConfigSchema = z.strictObject({
  apps: z
    .array(consoleAppSchema)
    .default([])
    .describe(
      'The running apps shown and operated (`sluice console --apps` fills it). Default none: the console ' +
        'still browses topics, schemas and dead letters.',
    ),
  kafka: kafkaConfigSchema.prefault({ brokers: ['127.0.0.1:9092'], clientId: 'sluice-console' }),
  registry: schemaRegistryConfigSchema,
  http: httpConfigSchema(8100),
  links: z
    .strictObject({
      jaeger: httpUrl('http://127.0.0.1:16686')
        .optional()
        .describe('Jaeger UI, for the trace links of records and connectors. Default none (no links).'),
      prometheus: httpUrl('http://127.0.0.1:9090')
        .optional()
        .describe("Prometheus UI, for each connector's metrics links. Default none (no links)."),
    })
    .prefault({}),
  refreshMs: z
    .number()
    .int()
    .min(250, 'expected at least 250 ms between reads of the apps')
    .max(60_000)
    .default(2000)
    .describe(
      "How often the apps' /status, /metrics and offsets are read and pushed to browsers. Default 2000.",
    ),
  logging: loggingConfigSchema,
});

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
export type ConsoleConfigInput = z.input<typeof consoleConfigSchema>;
export type ConsoleApp = z.output<typeof consoleAppSchema>;

/** Loads the console's configuration: the file from argv/env, or every default without one. */
export function loadConsoleConfig(argv: readonly string[]): ConsoleConfig {
  return loadAppConfig(consoleConfigSchema, argv);
}
