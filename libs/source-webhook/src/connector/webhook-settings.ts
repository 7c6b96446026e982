import { z } from 'zod';
import { wholeNumber, wholeNumberOr } from '@sluice/config';
import { verificationConfigSchema } from '@sluice/webhook-signing';

const RESERVED = /^\/(status|health|metrics|connectors|docs)(\/|$)/;
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');

const endpointSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and -')
    .describe('Names the endpoint in metrics, logs and the dedup ids. Required.'),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'expected a path such as /webhooks/stripe')
    .refine((p) => !RESERVED.test(p), 'is taken by the app (/status, /health, /metrics, /connectors, /docs)')
    .describe('Where senders POST, e.g. /webhooks/stripe. Required.'),
  topic: topicName.describe('The Kafka topic the events go to. Required.'),
  verify: verificationConfigSchema.describe(
    'How a request proves its sender: a provider preset (stripe, github, shopify, slack), sluice, generic hmac, or none.',
  ),
  deliveryId: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Expression (docs/pipelines.md: body fields by name, `$headers['x-name']`) giving the delivery id that deduplicates redeliveries. Default the scheme's (Stripe event id, X-GitHub-Delivery, ...), else the body's SHA-256.",
    ),
  key: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Expression giving the record key, e.g. `data.object.customer`: one key's events stay on one partition, in arrival order. Default: the delivery id.",
    ),
  eventType: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Expression giving the event type (e.g. `type`, `$headers['x-github-event']`), kept in the envelope and the `sluice.webhook.event-type` header.",
    ),
  schema: z
    .union([
      z.strictObject({
        file: z.string().min(1).describe('An Avro schema file (.avsc), relative to this configuration file.'),
      }),
      z.strictObject({
        subject: z
          .string()
          .min(1)
          .describe(
            "A registry subject: its latest version at start-up, records written with that version's id.",
          ),
      }),
    ])
    .optional()
    .describe(
      'The Avro schema the JSON body must fit (a 400 names the field that does not): `{ file }` or `{ subject }`. Default: the generic envelope (headers, received_at, body as JSON text).',
    ),
  forwardHeaders: z
    .array(z.string().min(1).toLowerCase())
    .default([])
    .describe('Request headers copied into the envelope and the Kafka record headers. Default none.'),
  contentTypes: z
    .array(z.string().min(1).toLowerCase())
    .min(1)
    .default(['application/json'])
    .describe('Accepted media types; another is 415. Default application/json.'),
  maxBodyBytes: wholeNumberOr(1, 524_288).describe(
    "Largest body accepted; a larger one is 413. Topics this source creates take records this large (max.message.bytes); an existing topic must too. Default 524288 (512 KiB, under Kafka's 1 MiB default with the envelope).",
  ),
  rateLimit: z
    .strictObject({
      perSecond: wholeNumber(1).describe('Sustained requests per second.'),
      burst: wholeNumber(1).optional().describe('Requests at once above the rate. Default perSecond.'),
    })
    .optional()
    .describe('Per-endpoint rate limit: beyond it 429 with Retry-After. Default none.'),
});

/**
 * The source-webhook connector's own settings (the shared kafka/registry/http/logging/
 * tracing tail is added by its definition).
 */
export const sourceWebhookSettings = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and -')
    .default('source-webhook')
    .describe('Names the source in the management API and its producer. Default source-webhook.'),
  endpoints: z
    .array(endpointSchema)
    .min(1, 'expected at least one endpoint')
    .refine((es) => new Set(es.map((e) => e.name)).size === es.length, 'endpoint names must be unique')
    .refine((es) => new Set(es.map((e) => e.path)).size === es.length, 'endpoint paths must be unique')
    .describe('The webhook endpoints (table below). Required.'),
  deduplication: z
    .strictObject({
      windowSeconds: wholeNumberOr(1, 604_800).describe(
        "How long a delivery id is remembered (read back from the endpoint topics at start, so at most their retention). Default 604800 (7 days, Stripe's retry span is 3).",
      ),
    })
    .prefault({})
    .describe(
      'A redelivered webhook (same delivery id) within the window is answered 200 and not written again.',
    ),
  publishing: z
    .strictObject({
      sendTimeoutMs: wholeNumberOr(1, 5_000).describe(
        'A send Kafka has not acknowledged by then is answered 503 with Retry-After (the sender retries). Default 5000.',
      ),
      retryAfterSeconds: wholeNumberOr(1, 5).describe('Retry-After of a 503 or 429. Default 5.'),
      deliveryTimeoutMs: wholeNumberOr(1, 30_000).describe(
        "The longest one produce request may take, kafkajs's retries included, before it is abandoned and the producer replaced. Requests wait their turn behind it (answered 503 after sendTimeoutMs), so this bounds how long a stuck client can hold the endpoint. Default 30000.",
      ),
    })
    .prefault({}),
  requestTimeoutMs: wholeNumberOr(1, 10_000).describe(
    'Time a client gets to send its whole request (slow clients are cut off). Default 10000.',
  ),
  topics: z
    .strictObject({
      partitions: wholeNumberOr(1, 3).describe('Partitions of each endpoint topic created. Default 3.'),
      replicationFactor: wholeNumberOr(1, 1).describe('Default 1 (the local stack); 3 in production.'),
    })
    .prefault({}),
};

export type WebhookEndpointConfig = z.output<typeof endpointSchema>;
