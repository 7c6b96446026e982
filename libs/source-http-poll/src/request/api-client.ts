import { Agent, type Dispatcher, request } from 'undici';
import { type Backoff, nextDelay, systemClock, type TokenBucket } from '@sluice/errors';
import { parseRetryAfter, staticAuthHeaders } from '@sluice/http-client';
import { type HttpPollRequestSettings, type PollAuthConfig } from '../connector/http-poll-settings';
import { PollFailedError, StreamRefusedError } from '../polling/poll-errors';
import { type HostLimits } from './host-limits';
import { OAuth2Token } from './oauth2-token';

export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What a list request brought back: a page (parsed JSON, with the headers paging reads) or 304. */
export type ApiAnswer =
  | {
      readonly notModified: false;
      readonly body: unknown;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly notModified: true; readonly headers: Readonly<Record<string, string>> };

/** What the client did, for /status and metrics. */
export interface ApiCounters {
  requests: number;
  retries: number;
  rateLimited: number;
}

const RETRIED_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * One stream's requests to its API, within the API's limits: each attempt waits for the stream's
 * and the host's tokens and any hold the host set (Retry-After, X-RateLimit-Reset), passes the
 * host's circuit breaker, carries the credentials, and ends within the timeout. 5xx, 408, 429,
 * timeouts and connection failures are retried with backoff (Retry-After preferred, capped);
 * 401/403 stop the stream (after one token renewal for OAuth2) instead of retrying.
 */
export class ApiClient {
  readonly counters: ApiCounters = { requests: 0, retries: 0, rateLimited: 0 };
  private readonly token: OAuth2Token | undefined;
  private readonly staticHeaders: Record<string, string>;
  private readonly backoff: Backoff;

  constructor(
    private readonly stream: string,
    private readonly auth: PollAuthConfig | undefined,
    private readonly settings: HttpPollRequestSettings,
    private readonly streamBucket: TokenBucket | undefined,
    private readonly hostOf: (url: URL) => HostLimits,
    private readonly dispatcher: Dispatcher,
  ) {
    this.token = auth?.type === 'oauth2' ? new OAuth2Token(auth, dispatcher, settings.timeoutMs) : undefined;
    this.staticHeaders =
      auth?.type === 'bearer' || auth?.type === 'basic' || auth?.type === 'api-key'
        ? staticAuthHeaders(auth)
        : {};
    this.backoff = {
      initialDelayMs: settings.initialDelayMs,
      maxDelayMs: settings.maxDelayMs,
      multiplier: 2,
      jitter: 'equal',
    };
  }

  /** A keep-alive pool for all streams of a source, with the connect timeout. */
  static dispatcher(settings: HttpPollRequestSettings): Agent {
    return new Agent({ connect: { timeout: settings.timeoutMs }, connections: 16 });
  }

  /** One request, retried as above; throws StreamRefusedError or PollFailedError. */
  async send(req: ApiRequest, signal: AbortSignal): Promise<ApiAnswer> {
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      const host = this.hostOf(req.url);
      if (this.streamBucket && !(await this.streamBucket.take(1, signal))) throw aborted(signal);
      if (!(await host.admit(signal))) throw aborted(signal);
      const permit = host.breaker.acquire();
      if (!permit.allowed)
        throw new PollFailedError(
          `${this.stream}: circuit open for ${host.host} after repeated failures; next probe in ${permit.retryInMs} ms`,
          { code: 'HTTP_POLL_CIRCUIT_OPEN' },
        );
      this.counters.requests++;
      let failure: PollFailedError;
      let waitMs: number | undefined;
      try {
        const answer = await this.once(req, signal);
        const headers = flatHeaders(answer.headers);
        this.honourRateLimitHeaders(host, headers);
        const status = answer.statusCode;
        if (status === 304 || (status >= 200 && status < 300)) {
          const body =
            status === 304 ? (await answer.body.dump(), undefined) : await this.readJson(answer, req);
          host.breaker.success(permit);
          return status === 304 ? { notModified: true, headers } : { notModified: false, body, headers };
        }
        // A 5xx is the host failing; a 4xx, a 429 or a 503 is the host answering as it means to.
        if (status >= 500 && status !== 503) host.breaker.failure(permit);
        else host.breaker.neutral(permit);
        const excerpt = (await answer.body.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
        const answered = `${this.stream}: ${req.method} ${where(req.url)} answered ${status}`;
        if (status === 401 && this.token && !renewedToken) {
          // An OAuth2 token the API no longer takes: one renewal, then the answer stands.
          this.token.invalidate();
          renewedToken = true;
          attempt--;
          continue;
        }
        if (status === 401 || status === 403)
          throw new StreamRefusedError(
            status,
            `${answered} (${status === 401 ? 'credentials refused' : 'forbidden'}): ${excerpt}`,
          );
        if (!RETRIED_STATUSES.has(status))
          throw new PollFailedError(`${answered}: ${excerpt}`, { code: 'HTTP_POLL_STATUS' });
        if (status === 429) this.counters.rateLimited++;
        const retryAfter = parseRetryAfter(headers['retry-after'], Date.now());
        if (retryAfter !== undefined) {
          waitMs = Math.min(retryAfter, this.settings.maxDelayMs);
          // The host asked every caller to wait, not just this request.
          host.holdUntil(Date.now() + waitMs);
        }
        failure = new PollFailedError(answered, { code: 'HTTP_POLL_STATUS' });
      } catch (error) {
        if (error instanceof StreamRefusedError || error instanceof PollFailedError) throw error;
        if (signal.aborted) throw aborted(signal);
        host.breaker.failure(permit);
        const code = (error as { code?: string }).code;
        failure = new PollFailedError(
          `${this.stream}: ${req.method} ${where(req.url)} failed: ${code ? `${code} ` : ''}${(error as Error).message}`,
          { cause: error, code: 'HTTP_POLL_UNREACHABLE' },
        );
      }
      if (attempt > this.settings.retries) throw failure;
      this.counters.retries++;
      try {
        await systemClock.sleep(waitMs ?? nextDelay(this.backoff, attempt), signal);
      } catch {
        throw aborted(signal);
      }
    }
  }

  private async once(req: ApiRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const url = new URL(req.url);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.staticHeaders,
      ...req.headers,
    };
    if (this.auth?.type === 'api-key-query') url.searchParams.set(this.auth.param, this.auth.value);
    if (this.token) headers.authorization = `Bearer ${await this.token.current(signal)}`;
    if (req.body !== undefined) headers['content-type'] ??= 'application/json';
    // The whole request within the timeout, however slowly the API dribbles its body.
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeoutMs)]);
    return request(url, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? (req.body ?? '') : undefined,
      dispatcher: this.dispatcher,
      signal: deadline,
      headersTimeout: this.settings.timeoutMs,
      bodyTimeout: this.settings.timeoutMs,
    });
  }

  private async readJson(answer: Dispatcher.ResponseData, req: ApiRequest): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.settings.maxBodyBytes) {
        answer.body.destroy();
        throw badPage(
          this.stream,
          req,
          `body larger than requests.maxBodyBytes (${this.settings.maxBodyBytes})`,
        );
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw badPage(this.stream, req, `not JSON (${(error as Error).message})`);
    }
  }

  /** X-RateLimit-Remaining: 0 with a reset: the host is held until then (capped as Retry-After). */
  private honourRateLimitHeaders(host: HostLimits, headers: Record<string, string>): void {
    const remaining = headers['x-ratelimit-remaining'] ?? headers['ratelimit-remaining'];
    const reset = headers['x-ratelimit-reset'] ?? headers['ratelimit-reset'];
    if (remaining === undefined || Number(remaining) > 0 || reset === undefined) return;
    const value = Number(reset);
    if (!Number.isFinite(value) || value < 0) return;
    // Epoch seconds (GitHub, Shopify) or seconds from now (the IETF draft's RateLimit-Reset).
    const until = value > 1e9 ? value * 1000 : Date.now() + value * 1000;
    host.holdUntil(Math.min(until, Date.now() + this.settings.maxDelayMs));
  }
}

function badPage(stream: string, req: ApiRequest, why: string): PollFailedError {
  return new PollFailedError(`${stream}: the page from ${req.method} ${where(req.url)} is ${why}`, {
    code: 'HTTP_POLL_BAD_PAGE',
  });
}

function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('poll stopped');
}

/** Origin and path only: queries may carry keys and cursors, and this text reaches logs. */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
