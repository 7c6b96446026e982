import { z } from 'zod';
import { decimal, flag, wholeNumber } from '@sluice/config';
import { Expression } from '@sluice/pipeline';
import { headerName, staticAuthOptions, templateText, TextTemplate } from '@sluice/http-client';

const positive = () => wholeNumber(1);

/** Strings anywhere inside the body template must parse as templates too. */
function checkBodyTemplate(node: unknown, ctx: z.RefinementCtx, path: PropertyKey[] = []): void {
  if (typeof node === 'string') {
    try {
      TextTemplate.parse(node);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path, message: `invalid template: ${(error as Error).message}` });
    }
  } else if (Array.isArray(node)) node.forEach((item, i) => checkBodyTemplate(item, ctx, [...path, i]));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) checkBodyTemplate(v, ctx, [...path, k]);
}

const authSchema = z
  .discriminatedUnion('type', [...staticAuthOptions])
  .optional()
  .describe(
    'Authentication sent with every request: bearer (Authorization: Bearer), basic (Authorization: Basic) or ' +
      'api-key (a header). Secrets come from the environment through ${ENV_VAR}; a variable that is not set ' +
      'stops start-up naming the path. Default none.',
  );

export const destinationRetrySchema = z
  .strictObject({
    maxAttempts: positive().default(10).describe('Attempts per record, the first included. Default 10.'),
    initialDelayMs: wholeNumber(0).default(500).describe('Backoff before the second attempt. Default 500.'),
    maxDelayMs: wholeNumber(0).default(30_000).describe('Largest backoff between attempts. Default 30000.'),
    multiplier: decimal().default(2).describe('Backoff growth per attempt (>= 1). Default 2.'),
    jitter: z
      .enum(['full', 'equal', 'none'])
      .default('full')
      .describe('full: random in [0, d]; equal: d/2 + random d/2; none: d. Default full.'),
    maxElapsedMs: wholeNumber(0)
      .default(300_000)
      .describe(
        'No attempt starts later than this after the first; the record goes to the DLQ. Default 300000.',
      ),
    maxRetryAfterMs: wholeNumber(0)
      .default(60_000)
      .describe('Longest Retry-After (429/503) honoured; a longer one waits this long. Default 60000.'),
  })
  .refine((p) => p.maxDelayMs >= p.initialDelayMs && p.multiplier >= 1, {
    path: ['maxDelayMs'],
    message: 'must be at least initialDelayMs (and multiplier at least 1)',
  })
  .prefault({})
  .describe(
    'Retries of 5xx, 408, 429, timeouts and connection failures, with exponential backoff and jitter; ' +
      'Retry-After is honoured (capped). Other 4xx are not retried.',
  );

export const httpDestinationConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 . _ -')
    .describe('Names the destination in /status, logs, metrics and dead letters. Required.'),
  topics: z
    .array(z.string().min(1))
    .optional()
    .describe('Topics whose records go here. Default: every consumed topic.'),
  when: z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      try {
        Expression.parse(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `invalid expression: ${(error as Error).message}` });
      }
    })
    .optional()
    .describe('Only records for which this expression is true go here, e.g. "op != \'r\'". Default all.'),
  method: z
    .enum(['POST', 'PUT', 'PATCH', 'DELETE', 'GET'])
    .default('POST')
    .describe('HTTP method. Default POST.'),
  url: templateText(
    'Request URL, a template: {{ expression }} placeholders (URI-encoded) over the record, e.g. ' +
      'https://crm.example.com/contacts/{{ $key.id }}. Required.',
  ),
  headers: z
    .record(headerName, templateText('Header value template.'))
    .default({})
    .describe('Extra headers, values are templates. Default none.'),
  body: z
    .unknown()
    .superRefine((node, ctx) => checkBodyTemplate(node, ctx))
    .optional()
    .describe(
      'Body template: any YAML value whose strings may hold {{ expression }}; a string that is one ' +
        'placeholder keeps the value\'s type. Default "{{ $value }}": the decoded record value as JSON.',
    ),
  format: z
    .enum(['json', 'text'])
    .default('json')
    .describe(
      'json: the rendered body as JSON (application/json); text: as text (text/plain). Default json.',
    ),
  idempotencyKey: templateText('Idempotency-Key template.')
    .optional()
    .describe(
      'Template of the Idempotency-Key header. Default: <topic>:<source.lsn>:<key> for CDC change events (stable ' +
        'across a re-publish by the source), else "{{ $topic }}:{{ $partition }}:{{ $offset }}" (stable across ' +
        'redelivery of one Kafka record and its DLQ redrive); see docs/sink-http.md.',
    ),
  auth: authSchema,
  signing: z
    .strictObject({
      secret: z.string().min(16, 'expected at least 16 characters').describe('HMAC key; use ${ENV_VAR}.'),
    })
    .optional()
    .describe('Signs each request: X-Sluice-Signature: t=<unix seconds>,v1=<HMAC-SHA256 hex>. Default off.'),
  timeouts: z
    .strictObject({
      connectMs: positive().default(5_000).describe('TCP + TLS connect timeout. Default 5000.'),
      readMs: positive()
        .default(10_000)
        .describe('Time to wait for the response headers, and between body chunks. Default 10000.'),
    })
    .prefault({})
    .describe('Connect and read timeouts; a timeout is retried like a 5xx.'),
  redirects: z
    .strictObject({
      follow: flag().default(false).describe('Follow 3xx redirects. Default false (a 3xx goes to the DLQ).'),
      max: wholeNumber(0).default(3).describe('Redirects followed per request. Default 3.'),
    })
    .prefault({})
    .describe(
      'Only same-origin redirects are ever followed (method and body kept), so credentials never leave.',
    ),
  tls: z
    .strictObject({
      verify: flag()
        .default(true)
        .describe(
          'Verify the server certificate. false is for testing only and is logged loudly. Default true.',
        ),
    })
    .prefault({}),
  rateLimit: z
    .strictObject({
      perSecond: decimal()
        .refine((n) => n > 0, 'must be above 0')
        .describe('Requests per second.'),
      burst: positive()
        .optional()
        .describe('Requests allowed at once after a quiet spell. Default perSecond (at least 1).'),
    })
    .optional()
    .describe('Token bucket per destination. Default unlimited.'),
  retry: destinationRetrySchema,
  circuitBreaker: z
    .strictObject({
      failureThreshold: positive()
        .default(5)
        .describe('Consecutive failures that open the circuit. Default 5.'),
      coolDownMs: positive()
        .default(30_000)
        .describe('Time open before one probe is let through (half-open). Default 30000.'),
    })
    .prefault({})
    .describe('Circuit breaker per destination: closed, open after consecutive failures, half-open probe.'),
  batch: z
    .strictObject({
      maxRecords: positive().default(1).describe('Records per request; 1 = no batching. Default 1.'),
      lingerMs: wholeNumber(0)
        .default(20)
        .describe('Wait this long for more records before sending a batch that is not full. Default 20.'),
    })
    .prefault({})
    .describe('Batching: several records in one request, the body a JSON array of the rendered bodies.'),
  maxConnections: positive().default(32).describe('Connections kept to the destination. Default 32.'),
});

export type HttpDestinationConfig = z.output<typeof httpDestinationConfigSchema>;
export type HttpDestinationConfigInput = z.input<typeof httpDestinationConfigSchema>;
export type DestinationRetry = HttpDestinationConfig['retry'];
