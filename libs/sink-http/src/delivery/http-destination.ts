import { type Clock, nextDelay, RetriableError, systemClock, TokenBucket } from '@sluice/errors';
import { SIGNATURE_HEADER, WebhookSignature } from '@sluice/webhook-signing';
import { type HttpDestinationConfig } from '../config/http-destination-config';
import { RequestTemplate } from '../template/request-template';
import {
  CircuitOpenError,
  DeliveryExhaustedError,
  DeliveryRejectedError,
  EndpointUnreachableError,
  RetriableStatusError,
} from './delivery-errors';
import { type HttpAnswer, HttpTransport, headerValue } from './http-transport';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency-key';
import { type PreparedRequest } from './prepared-request';
import {
  CircuitBreaker,
  type CircuitCounters,
  type CircuitPermit,
  parseRetryAfter,
  staticAuthHeaders,
} from '@sluice/http-client';

/** What /status (and metrics) show of one destination. */
export interface DestinationStatus {
  readonly name: string;
  /** Scheme, host and port of the URL template's target (no path: it may carry record data). */
  readonly origin: string;
  readonly circuit: CircuitCounters;
  readonly requests: number;
  readonly recordsDelivered: number;
  /** Attempts that will be retried (5xx, 408, timeouts, unreachable, open circuit). */
  readonly retries: number;
  /** 429 answers. */
  readonly throttled: number;
  /** Records refused for good (4xx) and records whose retry policy ran out. */
  readonly recordsRejected: number;
  readonly recordsExhausted: number;
  readonly lastStatus?: number;
  readonly lastError?: string;
  /** When `lastError` happened, epoch ms. */
  readonly lastErrorAt?: number;
}

export interface HttpDestinationOptions {
  readonly clock?: Clock;
  readonly rng?: () => number;
}

type Outcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly error: Error; readonly waitMs?: number }
  | { readonly kind: 'rejected'; readonly error: DeliveryRejectedError };

/**
 * One HTTP destination and its policy: request templates, auth, signing, a token bucket, a circuit
 * breaker, retries with backoff and Retry-After, all per destination. `deliver` resolves once the
 * endpoint answered 2xx, or throws a FatalRecordError (DeliveryRejectedError for a 4xx,
 * DeliveryExhaustedError when the retry policy ran out) so the runtime dead-letters the record, or
 * rethrows when `signal` fires (the record is abandoned and redelivered later).
 *
 * Every attempt counts, also one refused by the open circuit (no request is sent; the record waits
 * at least until the next probe): a destination that stays down moves each record to the DLQ
 * within `retry.maxAttempts`/`retry.maxElapsedMs`, and memory holds only the records in flight.
 */
export class HttpDestination {
  readonly name: string;
  readonly template: RequestTemplate;
  readonly breaker: CircuitBreaker;
  private readonly bucket?: TokenBucket;
  private readonly transport: HttpTransport;
  private readonly signer?: WebhookSignature;
  private readonly staticHeaders: Readonly<Record<string, string>>;
  private readonly clock: Clock;
  private readonly rng: () => number;
  private pausedUntil = 0;
  private counts = {
    requests: 0,
    recordsDelivered: 0,
    retries: 0,
    throttled: 0,
    recordsRejected: 0,
    recordsExhausted: 0,
  };
  private lastStatus?: number;
  private lastError?: string;
  private lastErrorAt?: number;
  private readonly origin: string;

  constructor(
    readonly config: HttpDestinationConfig,
    options: HttpDestinationOptions = {},
  ) {
    this.name = config.name;
    this.clock = options.clock ?? systemClock;
    this.rng = options.rng ?? Math.random;
    this.template = new RequestTemplate(config);
    this.breaker = new CircuitBreaker(config.circuitBreaker, this.clock);
    if (config.rateLimit)
      this.bucket = new TokenBucket(config.rateLimit.perSecond, config.rateLimit.burst, this.clock);
    this.transport = new HttpTransport({
      destination: config.name,
      connectTimeoutMs: config.timeouts.connectMs,
      readTimeoutMs: config.timeouts.readMs,
      verifyTls: config.tls.verify,
      maxConnections: config.maxConnections,
      maxRedirects: config.redirects.follow ? config.redirects.max : 0,
    });
    if (config.signing) this.signer = new WebhookSignature(config.signing.secret);
    this.staticHeaders = staticAuthHeaders(config.auth);
    this.origin = originOf(config.url);
  }

  /** Delivers one request (one record, or a batch of `records`) under the destination's policy. */
  async deliver(request: PreparedRequest, signal: AbortSignal, records = 1): Promise<void> {
    const policy = this.config.retry;
    const startedAt = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(request, signal);
      if (outcome.kind === 'delivered') {
        this.counts.recordsDelivered += records;
        return;
      }
      if (outcome.kind === 'rejected') {
        this.counts.recordsRejected += records;
        this.noteError(outcome.error);
        throw outcome.error;
      }
      this.noteError(outcome.error);
      const backoff = nextDelay(policy, attempt, this.rng);
      const waitMs = Math.max(backoff, Math.min(outcome.waitMs ?? 0, policy.maxRetryAfterMs));
      const elapsed = this.clock.now() - startedAt;
      if (attempt >= policy.maxAttempts || elapsed + waitMs > policy.maxElapsedMs) {
        this.counts.recordsExhausted += records;
        throw new DeliveryExhaustedError(this.name, attempt, elapsed, outcome.error);
      }
      this.counts.retries++;
      await this.sleep(waitMs, signal);
    }
  }

  status(): DestinationStatus {
    return {
      name: this.name,
      origin: this.origin,
      circuit: this.breaker.counters(),
      ...this.counts,
      ...(this.lastStatus !== undefined ? { lastStatus: this.lastStatus } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError, lastErrorAt: this.lastErrorAt } : {}),
    };
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private async attempt(request: PreparedRequest, signal: AbortSignal): Promise<Outcome> {
    // A 429/503 with Retry-After holds the whole destination, not only the record that got it.
    const hold = this.pausedUntil - this.clock.now();
    if (hold > 0) await this.sleep(hold, signal);
    // The breaker first: an attempt it refuses sends nothing, so it takes no token either.
    const permit = this.breaker.acquire();
    if (!permit.allowed) {
      return {
        kind: 'retry',
        error: new CircuitOpenError(this.name, permit.retryInMs),
        waitMs: permit.retryInMs,
      };
    }
    if (this.bucket && !(await this.bucket.take(1, signal))) {
      this.breaker.neutral(permit);
      this.abandoned(signal, signal.reason);
    }
    let answer: HttpAnswer;
    try {
      this.counts.requests++;
      answer = await this.transport.send(this.finalRequest(request), signal);
    } catch (error) {
      if (signal.aborted) {
        this.breaker.neutral(permit);
        this.abandoned(signal, error);
      }
      this.breaker.failure(permit);
      return {
        kind: 'retry',
        error:
          error instanceof EndpointUnreachableError
            ? error
            : new EndpointUnreachableError(this.name, String(error), error),
      };
    }
    return this.classify(answer, permit);
  }

  private classify(answer: HttpAnswer, permit: CircuitPermit): Outcome {
    const { status } = answer;
    this.lastStatus = status;
    if (status >= 200 && status < 300) {
      this.breaker.success(permit);
      return { kind: 'delivered' };
    }
    const retryAfterMs = parseRetryAfter(headerValue(answer.headers['retry-after']), this.clock.now());
    if (status === 429) {
      this.counts.throttled++;
      this.breaker.neutral(permit);
      if (retryAfterMs !== undefined) this.holdFor(retryAfterMs);
      return {
        kind: 'retry',
        error: new RetriableStatusError(this.name, status, answer.bodyExcerpt, retryAfterMs),
        waitMs: retryAfterMs,
      };
    }
    if (status >= 500 || status === 408) {
      this.breaker.failure(permit);
      if (status === 503 && retryAfterMs !== undefined) this.holdFor(retryAfterMs);
      return {
        kind: 'retry',
        error: new RetriableStatusError(this.name, status, answer.bodyExcerpt, retryAfterMs),
        waitMs: retryAfterMs,
      };
    }
    // The endpoint is alive and answered: not a failure of the endpoint, but this record is refused.
    this.breaker.success(permit);
    return {
      kind: 'rejected',
      error: new DeliveryRejectedError(
        this.name,
        status,
        answer.bodyExcerpt,
        answer.redirectRefused ?? (status < 400 ? 'redirects are not followed' : undefined),
      ),
    };
  }

  private finalRequest(request: PreparedRequest) {
    const headers: Record<string, string> = {
      ...request.headers,
      ...this.staticHeaders,
      [IDEMPOTENCY_KEY_HEADER.toLowerCase()]: request.idempotencyKey,
    };
    // Signed per attempt: the timestamp is when this request left, so receivers can refuse stale replays.
    if (this.signer)
      headers[SIGNATURE_HEADER.toLowerCase()] = this.signer.header(
        request.body,
        Math.floor(this.clock.now() / 1000),
      );
    return { method: request.method, url: request.url, headers, body: request.body };
  }

  private noteError(error: Error): void {
    this.lastError = error.message;
    this.lastErrorAt = this.clock.now();
  }

  private holdFor(ms: number): void {
    const until = this.clock.now() + Math.min(ms, this.config.retry.maxRetryAfterMs);
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    await this.clock.sleep(ms, signal).catch((error: unknown) => this.abandoned(signal, error));
  }

  private abandoned(signal: AbortSignal, cause: unknown): never {
    throw new RetriableError(`${this.name}: delivery abandoned (${String(signal.reason ?? 'aborted')})`, {
      cause,
      code: 'HTTP_ABANDONED',
    });
  }
}

/** The origin of a URL template (its placeholders, if any in the host, shown as they are). */
function originOf(template: string): string {
  const match = /^(https?:\/\/[^/?#]*)/i.exec(template);
  return match ? match[1]! : template;
}
