import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, TokenBucket } from '@sluice/errors';
import { Expression } from '@sluice/pipeline';
import {
  type AvroCodec,
  canonicalAvroSchema,
  compileAvroCodec,
  type SchemaRegistryClient,
} from '@sluice/schema';
import {
  compileVerifier,
  providerDeliveryId,
  type SignatureVerifier,
  type SignedRequest,
} from '@sluice/webhook-signing';
import { type WebhookEndpointConfig } from '../connector/webhook-settings';
import { WebhookRejection } from './webhook-rejection';

// Fatal: toString('utf8') would replace a bad byte with U+FFFD and store text the sender never sent.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A request as the endpoint reads it: lower-cased headers and the exact body bytes. */
export interface WebhookRequest extends SignedRequest {
  readonly contentType: string | undefined;
}

/** A verified, parsed, keyed webhook: what goes to Kafka. */
export interface AdmittedWebhook {
  /** `<endpoint>:<delivery id>`: unique per endpoint, the dedup identity. */
  readonly deliveryId: string;
  readonly key: string;
  readonly eventType: string | undefined;
  /** The Avro value: the body itself under a declared schema, else the envelope. */
  readonly value: unknown;
  /** Request headers kept (`forwardHeaders`). */
  readonly forwarded: Readonly<Record<string, string>>;
}

/** The generic envelope of a webhook whose endpoint declares no schema: registered once per topic. */
export const WEBHOOK_ENVELOPE_SCHEMA = JSON.stringify({
  type: 'record',
  name: 'WebhookEvent',
  namespace: 'io.sluice.webhook',
  doc: 'An inbound webhook as received: its body as JSON text, the headers that matter, when it came.',
  fields: [
    { name: 'endpoint', type: 'string' },
    { name: 'delivery_id', type: 'string' },
    { name: 'event_type', type: ['null', 'string'], default: null },
    { name: 'received_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'headers', type: { type: 'map', values: 'string' }, default: {} },
    { name: 'body', type: 'string', doc: 'The request body, JSON text as sent.' },
  ],
});

/**
 * One configured endpoint: its limits, verification, delivery id, key and value, in the order a
 * request meets them. Every refusal is a WebhookRejection with the status the sender should see.
 */
export class WebhookEndpoint {
  /** The value's writer schema: Avro text (registered under `<topic>-value`) or a registry id. */
  private schema: string | number | undefined;
  private readonly verifier: SignatureVerifier;
  private codec: AvroCodec | undefined;
  private readonly deliveryIdOf: Expression | undefined;
  private readonly keyOf: Expression | undefined;
  private readonly eventTypeOf: Expression | undefined;
  private readonly bucket: TokenBucket | undefined;

  constructor(
    readonly config: WebhookEndpointConfig,
    baseDir: string,
  ) {
    const at = `endpoints[${config.name}]`;
    this.verifier = compileVerifier(config.verify);
    this.deliveryIdOf = parsed(config.deliveryId, `${at}.deliveryId`);
    this.keyOf = parsed(config.key, `${at}.key`);
    this.eventTypeOf = parsed(config.eventType, `${at}.eventType`);
    this.bucket = config.rateLimit
      ? new TokenBucket(config.rateLimit.perSecond, config.rateLimit.burst)
      : undefined;
    if (config.schema && 'file' in config.schema) {
      const file = isAbsolute(config.schema.file) ? config.schema.file : resolve(baseDir, config.schema.file);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new ConfigError(
          `${at}.schema.file: cannot read ${file} (${(error as Error).message})`,
          file,
          `${at}.schema.file`,
        );
      }
      try {
        this.schema = canonicalAvroSchema(text);
        this.codec = compileAvroCodec(JSON.parse(this.schema));
      } catch (error) {
        throw new ConfigError(
          `${at}.schema.file: ${file}: ${(error as Error).message}`,
          file,
          `${at}.schema.file`,
          {
            cause: error,
          },
        );
      }
    } else if (!config.schema) {
      this.schema = WEBHOOK_ENVELOPE_SCHEMA;
    }
  }

  /** The value's writer schema; for a registry subject, known once `resolveSchema` ran. */
  get valueSchema(): string | number {
    if (this.schema === undefined)
      throw new Error(`endpoint ${this.name}: its schema was not read from the registry yet`);
    return this.schema;
  }

  /** Reads a `{ subject }` schema's latest version from the registry (at start-up; retried with it). */
  async resolveSchema(registry: SchemaRegistryClient): Promise<void> {
    const declared = this.config.schema;
    if (!declared || !('subject' in declared) || this.schema !== undefined) return;
    const id = await registry.latestId(declared.subject);
    const text = await registry.schemaById(id);
    this.codec = compileAvroCodec(JSON.parse(text));
    this.schema = id;
  }

  get name(): string {
    return this.config.name;
  }

  get topic(): string {
    return this.config.topic;
  }

  /** Checks a request in the order a sender's mistakes are cheapest to find; throws a WebhookRejection. */
  admit(request: WebhookRequest, nowMs: number): AdmittedWebhook {
    const type = request.contentType?.split(';')[0]?.trim().toLowerCase();
    if (type === undefined || !this.config.contentTypes.includes(type))
      throw new WebhookRejection(
        415,
        `content type ${type ?? '(none)'} is not accepted here (accepted: ${this.config.contentTypes.join(', ')})`,
      );
    const verified = this.verifier.verify(request, nowMs);
    if (!verified.ok) throw new WebhookRejection(401, `signature refused: ${verified.reason}`);
    // After the signature: requests anyone could send must not use up the real sender's allowance.
    this.limitRate();
    let text: string;
    try {
      text = UTF8.decode(request.body);
    } catch {
      throw new WebhookRejection(400, 'the body is not valid UTF-8 (JSON travels as UTF-8: RFC 8259)');
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new WebhookRejection(400, `the body is not JSON: ${(error as Error).message}`);
    }
    const scope = requestScope(request, body, this.topic, nowMs);
    const id =
      this.text(this.deliveryIdOf, scope, 'deliveryId') ??
      providerDeliveryId(this.config.verify, request, body) ??
      // No id from the sender: identical bodies count as one delivery.
      createHash('sha256').update(request.body).digest('hex');
    const key = this.text(this.keyOf, scope, 'key') ?? id;
    const eventType = this.text(this.eventTypeOf, scope, 'eventType');
    const forwarded = Object.fromEntries(
      this.config.forwardHeaders.flatMap((h) =>
        request.headers[h] === undefined ? [] : [[h, request.headers[h]!]],
      ),
    );
    return {
      deliveryId: `${this.name}:${id}`,
      key,
      eventType,
      value: this.value(body, text, { id, eventType, forwarded, nowMs }),
      forwarded,
    };
  }

  private limitRate(): void {
    if (!this.bucket) return;
    const available = this.bucket.available();
    if (available < 1)
      throw new WebhookRejection(429, `endpoint ${this.name} is over its rate limit`, {
        retryAfterSeconds: Math.max(1, Math.ceil((1 - available) / this.bucket.ratePerSecond)),
      });
    this.bucket.reserve(1);
  }

  private value(
    body: unknown,
    text: string,
    meta: { id: string; eventType: string | undefined; forwarded: Record<string, string>; nowMs: number },
  ): unknown {
    if (this.codec) {
      const wrong = this.codec.invalidPaths(body);
      if (wrong.length > 0)
        throw new WebhookRejection(
          400,
          `the body does not fit the endpoint's schema at ${wrong.map((p) => p || '(root)').join(', ')}`,
        );
      return body;
    }
    return {
      endpoint: this.name,
      delivery_id: meta.id,
      event_type: meta.eventType ?? null,
      received_at: meta.nowMs,
      headers: meta.forwarded,
      body: text,
    };
  }

  private text(expression: Expression | undefined, scope: ReturnType<typeof requestScope>, what: string) {
    if (expression === undefined) return undefined;
    let value: unknown;
    try {
      value = expression.valueFor(scope);
    } catch (error) {
      throw new WebhookRejection(400, `${what}: ${(error as Error).message}`);
    }
    if (value === null || value === undefined || value === '')
      throw new WebhookRejection(400, `${what}: the request has no value for \`${expression.text}\``);
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function parsed(text: string | undefined, at: string): Expression | undefined {
  if (text === undefined) return undefined;
  try {
    return Expression.parse(text);
  } catch (error) {
    throw new ConfigError(`${at}: ${(error as Error).message}`, undefined, at);
  }
}

function requestScope(request: WebhookRequest, body: unknown, topic: string, nowMs: number) {
  return {
    value: body,
    key: null,
    headers: () => request.headers as Record<string, string | null>,
    topic,
    partition: -1,
    offset: '',
    timestamp: nowMs,
  };
}
