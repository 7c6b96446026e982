import { z } from 'zod';

/**
 * The `tracing` section every app's configuration has. Left-out values fall back to the standard
 * OpenTelemetry environment variables (OTEL_SDK_DISABLED, OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_EXPORTER_OTLP_ENDPOINT /
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_BSP_*), then to the defaults below.
 */
export const tracingConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Start the OpenTelemetry SDK (OTEL_SDK_DISABLED=true also turns it off). Default true.'),
    samplingRatio: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Parent-based ratio sampling of new traces (0..1): a record carrying a trace context follows ' +
          "its parent's decision. Default: OTEL_TRACES_SAMPLER/_ARG, else 0.1 (one trace in ten).",
      ),
    endpoint: z
      .url()
      .optional()
      .describe(
        'OTLP/HTTP base URL (traces go to <endpoint>/v1/traces). Default: OTEL_EXPORTER_OTLP_ENDPOINT, ' +
          'else http://localhost:4318.',
      ),
    recordKeys: z
      .boolean()
      .default(false)
      .describe(
        'Put each record key (base64) on its span as messaging.kafka.message.key. Off by default: keys ' +
          'can be personal data and are unbounded.',
      ),
  })
  .prefault({});

export type TracingConfig = z.output<typeof tracingConfigSchema>;
