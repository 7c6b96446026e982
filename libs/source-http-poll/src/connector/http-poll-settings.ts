import { z } from 'zod';
import { decimal, flag, wholeNumber, wholeNumberOr } from '@sluice/config';
import { headerName, staticAuthOptions, templateText } from '@sluice/http-client';
import { expressionText } from '@sluice/pipeline';

const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');

/** A dotted path into a JSON body (`data.records`); `$` is the body itself. */
const jsonPath = z
  .string()
  .regex(
    /^(\$|[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*)$/,
    'expected a dotted path such as data.items, or $',
  )
  .describe('A dotted path into the JSON body, e.g. data.items; `$` is the body itself.');

const paginationSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z
        .literal('none')
        .describe('Which strategy: none, next-link, link-header, page, offset or cursor-token.'),
    }),
    z.strictObject({
      type: z.literal('next-link'),
      path: jsonPath.describe(
        'next-link: where the body holds the next page URL (absent or null on the last). Required.',
      ),
    }),
    z.strictObject({ type: z.literal('link-header') }),
    z.strictObject({
      type: z.literal('page'),
      param: z.string().min(1).default('page').describe('page: the page number parameter. Default page.'),
      sizeParam: z
        .string()
        .min(1)
        .optional()
        .describe('page/offset: the page size parameter, e.g. per_page. Default none.'),
      size: wholeNumber(1).optional().describe('page/offset: the page size asked for. Default the API’s.'),
      first: wholeNumberOr(0, 1).describe('page: the first page’s number. Default 1.'),
    }),
    z.strictObject({
      type: z.literal('offset'),
      param: z.string().min(1).default('offset').describe('offset: the offset parameter. Default offset.'),
      sizeParam: z.string().min(1).optional(),
      size: wholeNumber(1).optional(),
    }),
    z.strictObject({
      type: z.literal('cursor-token'),
      path: jsonPath.describe('cursor-token: where the body holds the next token. Required.'),
      param: z
        .string()
        .min(1)
        .default('cursor')
        .describe('cursor-token: the query parameter carrying it. Default cursor.'),
    }),
  ])
  .prefault({ type: 'none' })
  .describe(
    'How pages follow each other; paging stops on an empty page or a missing next. Default none (one request a poll).',
  );

const authSchema = z
  .discriminatedUnion('type', [
    ...staticAuthOptions,
    z.strictObject({
      type: z.literal('api-key-query'),
      param: z.string().min(1).describe('api-key-query: the query parameter carrying the key. Required.'),
      value: z.string().min(1).describe('api-key-query: the key; use ${ENV_VAR}. Required.'),
    }),
    z.strictObject({
      type: z.literal('oauth2'),
      tokenUrl: z.url().describe('oauth2: the token endpoint (client credentials grant). Required.'),
      clientId: z.string().min(1).describe('oauth2: the client id. Required.'),
      clientSecret: z.string().min(1).describe('oauth2: the client secret; use ${ENV_VAR}. Required.'),
      scope: z.string().min(1).optional().describe('oauth2: the scope asked for. Default none.'),
    }),
  ])
  .optional()
  .describe(
    'Credentials: bearer, basic, api-key (header), api-key-query, or oauth2 (client credentials, the token refreshed before it expires and after a 401). Secrets through ${ENV_VAR}. Default none.',
  );

const cursorSchema = z
  .strictObject({
    field: expressionText(
      'The item’s high-water-mark field, e.g. updated_at (an ISO-8601 time or a number). Default none: every poll lists everything, deduplicated by version.',
    ).optional(),
    tieBreaker: expressionText(
      'Orders items sharing a `field` value (e.g. id); `{{ cursor.id }}` in the request. Default none.',
    ).optional(),
    lookbackSeconds: wholeNumberOr(0, 0).describe(
      'Asks again for this much before the high-water mark (`cursor.since`), for items committed late at the API; the overlap is deduplicated by key and version. Default 0.',
    ),
    initial: z
      .string()
      .min(1)
      .optional()
      .describe(
        '`cursor.since` of the very first poll, e.g. 2024-01-01T00:00:00Z. Default none (the parameter is left out).',
      ),
    ordered: flag()
      .default(true)
      .describe(
        'The API lists items in ascending (field, tieBreaker) order, as incremental listings do: a poll then remembers only the versions near its maximum. false keeps every version a poll published until it ends (any order; larger cursors). Default true.',
      ),
    conditional: flag()
      .default(false)
      .describe(
        'Sends If-None-Match / If-Modified-Since from the last answer’s ETag / Last-Modified; a 304 means nothing changed. Default false.',
      ),
  })
  .prefault({})
  .describe(
    'Where the next poll starts: in the request as `{{ cursor.since }}`, `{{ cursor.value }}`, `{{ cursor.id }}`. Committed with the records of each page.',
  );

const limitSchema = z.strictObject({
  perSecond: decimal()
    .refine((n) => n > 0, 'must be above 0')
    .describe('Requests per second.'),
  burst: wholeNumber(1)
    .optional()
    .describe('Requests at once after a quiet spell. Default perSecond (at least 1).'),
});

const streamSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and -')
    .describe('Names the stream in the offsets, metrics and /status. Required.'),
  topic: topicName.describe('The Kafka topic its items go to. Required.'),
  request: z
    .strictObject({
      method: z.enum(['GET', 'POST']).default('GET').describe('GET or POST. Default GET.'),
      url: templateText('The first page’s URL, a template over `cursor.*` (values URI-encoded). Required.'),
      query: z
        .record(z.string().min(1), templateText('A query parameter template.'))
        .default({})
        .describe('Query parameters, templates; one that renders empty is left out. Default none.'),
      headers: z
        .record(headerName, templateText('A header value template.'))
        .default({})
        .describe('Extra headers. Default none.'),
      body: z
        .unknown()
        .optional()
        .describe('POST body (JSON), strings may hold `{{ cursor.* }}`. Default none.'),
    })
    .describe('The request that lists items, with the cursor in it. Required.'),
  items: jsonPath
    .default('$')
    .describe('Where the page’s items are in the body, e.g. data.records. Default $ (the body is the list).'),
  key: expressionText('The record key from an item, e.g. id. Required.'),
  version: expressionText(
    'Tells one version of an item from another, e.g. updated_at or version. Default cursor.field, else a hash of the item.',
  ).optional(),
  pagination: paginationSchema,
  cursor: cursorSchema,
  schedule: z
    .strictObject({
      intervalMs: wholeNumberOr(1, 60_000).describe(
        'Time between the end of one poll and the start of the next. Default 60000.',
      ),
      jitterMs: wholeNumberOr(0, 0).describe(
        'Random extra wait up to this, so streams do not poll in step. Default 0.',
      ),
    })
    .prefault({}),
  rateLimit: limitSchema.optional().describe('Token bucket of this stream’s requests. Default unlimited.'),
  auth: authSchema,
  schema: z
    .strictObject({ file: z.string().min(1).describe('An Avro schema file (.avsc), relative to this file.') })
    .optional()
    .describe(
      'The Avro schema items must fit (a misfit is a stream error naming the field). Default the generic envelope (item as JSON text).',
    ),
  reconcile: z
    .strictObject({
      intervalMs: wholeNumber(1_000).describe('Time between full scans. Required with reconcile.'),
      request: z
        .strictObject({
          url: templateText(
            'The full listing’s first URL. Default the stream’s request without a cursor.',
          ).optional(),
          query: z.record(z.string().min(1), templateText('A query parameter template.')).optional(),
        })
        .prefault({}),
    })
    .optional()
    .describe(
      'Deletions: a full listing on this slower schedule; keys in the topic no longer listed get a delete event and a tombstone. Default off.',
    ),
});

/**
 * The source-http-poll connector's own settings (the shared kafka/registry/http/logging/
 * tracing tail is added by its definition).
 */
export const sourceHttpPollSettings = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and -')
    .default('source-http-poll')
    .describe(
      'Names the source: its transactional id (sluice-http-poll.<name>), its offsets’ keys, the management API. Default source-http-poll.',
    ),
  streams: z
    .array(streamSchema)
    .min(1, 'expected at least one stream')
    .refine((ss) => new Set(ss.map((s) => s.name)).size === ss.length, 'stream names must be unique')
    .describe('The polled endpoints (table below). Required.'),
  hosts: z
    .record(
      z.string().min(1),
      z.strictObject({ rateLimit: limitSchema.describe('Token bucket of all requests to this host.') }),
    )
    .default({})
    .describe(
      'Per host (e.g. api.example.com:443 or api.example.com), limits shared by every stream calling it. Default none.',
    ),
  requests: z
    .strictObject({
      timeoutMs: wholeNumberOr(1, 30_000).describe(
        'Whole request timeout (connect, headers, body); retried like a 5xx. Default 30000.',
      ),
      maxBodyBytes: wholeNumberOr(1, 33_554_432).describe(
        'Largest page body read; a larger one fails the poll. Default 32 MiB.',
      ),
      retries: wholeNumberOr(0, 5).describe(
        'Retries of a 5xx, 429, timeout or connection failure before the poll fails (and the next waits its interval). Default 5.',
      ),
      initialDelayMs: wholeNumberOr(0, 500).describe(
        'Backoff before the first retry, doubling. Default 500.',
      ),
      maxDelayMs: wholeNumberOr(0, 30_000).describe(
        'Largest backoff and the longest Retry-After honoured. Default 30000.',
      ),
      circuitBreaker: z
        .strictObject({
          failureThreshold: wholeNumberOr(1, 5).describe(
            'Consecutive failures to a host that open its circuit. Default 5.',
          ),
          coolDownMs: wholeNumberOr(1, 30_000).describe('Time open before one probe request. Default 30000.'),
        })
        .prefault({}),
    })
    .prefault({})
    .describe('Requests: timeout, retries with backoff, a circuit breaker per host.'),
  offsets: z
    .strictObject({
      topic: topicName
        .optional()
        .describe(
          'The compacted topic of committed cursors, keyed [source, stream] (as Kafka Connect’s offsets topics); one per source, so that no other producer’s open transaction delays its start. Default <name>.offsets.',
        ),
      transactionTimeoutMs: wholeNumberOr(1_000, 60_000).describe(
        'Broker aborts a transaction left open this long (a crashed source). Default 60000.',
      ),
    })
    .prefault({}),
  topics: z
    .strictObject({
      partitions: wholeNumberOr(1, 3).describe('Partitions of each stream topic created. Default 3.'),
      replicationFactor: wholeNumberOr(1, 1).describe('Default 1 (the local stack); 3 in production.'),
    })
    .prefault({}),
};

export type PollStreamConfig = z.output<typeof streamSchema>;
export type PollAuthConfig = NonNullable<PollStreamConfig['auth']>;
export type PaginationConfig = PollStreamConfig['pagination'];
export type HttpPollRequestSettings = z.output<(typeof sourceHttpPollSettings)['requests']>;
