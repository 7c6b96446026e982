import { request, type Dispatcher } from 'undici';
import { PollFailedError, StreamRefusedError } from '../polling/poll-errors';

export interface OAuth2ClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
}

/** Renewed this long before the token's own expiry, so no request goes out with a dying token. */
const EARLY_RENEWAL_MS = 30_000;

/**
 * An OAuth2 access token from the client credentials grant (RFC 6749 §4.4), fetched when first
 * needed, renewed before `expires_in` runs out and after the API answers 401 (`invalidate`).
 * Concurrent callers share one token request.
 */
export class OAuth2Token {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly credentials: OAuth2ClientCredentials,
    private readonly dispatcher: Dispatcher,
    private readonly timeoutMs: number,
  ) {}

  async current(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    this.pending ??= this.fetch(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async fetch(signal?: AbortSignal): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.credentials;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(tokenUrl, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        },
        body: form.toString(),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal,
      });
    } catch (error) {
      throw new PollFailedError(
        `oauth2 token request to ${new URL(tokenUrl).origin} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const text = await answer.body.text();
    if (answer.statusCode === 400 || answer.statusCode === 401 || answer.statusCode === 403)
      throw new StreamRefusedError(
        answer.statusCode,
        `oauth2 token endpoint refused the client credentials (${answer.statusCode}): ${text.slice(0, 200)}`,
      );
    if (answer.statusCode !== 200)
      throw new PollFailedError(`oauth2 token endpoint answered ${answer.statusCode}`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PollFailedError('oauth2 token endpoint answered what is not JSON');
    }
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw new PollFailedError('oauth2 token endpoint answered no access_token');
    const lifetimeMs = typeof body.expires_in === 'number' ? body.expires_in * 1000 : 3_600_000;
    this.token = {
      value: body.access_token,
      expiresAt: Date.now() + Math.max(lifetimeMs / 2, lifetimeMs - EARLY_RENEWAL_MS),
    };
    return body.access_token;
  }
}
