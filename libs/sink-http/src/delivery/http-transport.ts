import { Agent, request } from 'undici';
import { EndpointUnreachableError } from './delivery-errors';

export interface HttpTransportOptions {
  readonly destination: string;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly verifyTls: boolean;
  readonly maxConnections: number;
  /** Same-origin redirects followed per request (0 = none). */
  readonly maxRedirects: number;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The first `EXCERPT_BYTES` of the body as text; empty for 2xx (the body is discarded). */
  readonly bodyExcerpt: string;
  /** Set when a 3xx was not followed: why. */
  readonly redirectRefused?: string;
}

const EXCERPT_BYTES = 512;

/**
 * HTTP I/O of one destination — the only place that talks undici (so the OpenTelemetry undici
 * instrumentation sees every request): one keep-alive connection pool with connect and read
 * (headers, then between body chunks) timeouts and certificate verification. Redirects are
 * followed only within the same origin (scheme, host and port), keeping method and body, so
 * credentials and signatures never reach another host; any other 3xx is handed back as is.
 * Transport failures become EndpointUnreachableError (retriable).
 */
export class HttpTransport {
  private readonly agent: Agent;

  constructor(private readonly options: HttpTransportOptions) {
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, rejectUnauthorized: options.verifyTls },
      headersTimeout: options.readTimeoutMs,
      bodyTimeout: options.readTimeoutMs,
      connections: options.maxConnections,
    });
  }

  async send(req: HttpRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const answer = await this.once({ ...req, url }, signal);
      if (answer.status < 300 || answer.status > 399) return answer;
      const location = headerValue(answer.headers.location);
      if (location === undefined) return answer;
      if (hop >= this.options.maxRedirects)
        return { ...answer, redirectRefused: `redirect to ${location} not followed (redirects.follow/max)` };
      const next = new URL(location, url);
      if (next.origin !== url.origin)
        return {
          ...answer,
          redirectRefused: `redirect to another origin (${next.origin}) is never followed`,
        };
      url = next;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async once(req: HttpRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    try {
      const res = await request(req.url, {
        method: req.method as 'POST',
        headers: req.headers,
        body: req.method === 'GET' ? undefined : req.body,
        dispatcher: this.agent,
        signal,
      });
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const bodyExcerpt = ok ? (await res.body.dump(), '') : await excerpt(res.body);
      return { status: res.statusCode, headers: res.headers, bodyExcerpt };
    } catch (error) {
      if (signal?.aborted) throw error;
      const code = (error as { code?: string }).code;
      throw new EndpointUnreachableError(
        this.options.destination,
        // The origin only: the path may carry record data, and this text reaches logs and /status.
        `${req.method} ${req.url.origin} failed: ${code ? `${code} ` : ''}${(error as Error).message}`,
        error,
      );
    }
  }
}

async function excerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= EXCERPT_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
