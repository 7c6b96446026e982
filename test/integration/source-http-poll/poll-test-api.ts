// The local REST API the source-http-poll suites and benchmark poll (issue #20): items listed
// incrementally (`since`, `since_id`), paginated five ways, rate-limited by a token bucket with 429 +
// Retry-After, with random 500s, hangs and 429s, items changed between pages, several items per
// second (updated_at has second precision), whole-resource polling with ETag/Last-Modified (or
// Last-Modified only, /whole-dated/items), broken
// answers, and bearer/basic/API-key/OAuth2 auth. It counts what it sees: rate-limit and Retry-After
// violations, and every item version it returned.
//
// Pages reflect the data at the moment each is served. The opaque tokens (next-link's page_token,
// link-header's next URL, cursor-token's cursor) are keyset positions, "after the last item of the
// previous page", so an item bumped mid-walk shows up again later in the same walk; page/offset are
// positions in the list as it stands, so a change can shift items across a page boundary.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface ApiItem {
  id: string;
  name: string;
  /** ISO-8601 with second precision (`2025-01-02T03:04:05Z`), so several items share a timestamp. */
  updated_at: string;
  /** 1, 2, ... per id. */
  version: number;
}
export type Pagination = 'next-link' | 'link-header' | 'page' | 'offset' | 'cursor-token';
export interface PollTestApiAuth {
  bearer?: string;
  basic?: { user: string; password: string };
  apiKeyHeader?: { name: string; value: string };
  apiKeyQuery?: { name: string; value: string };
  oauth2?: { clientId: string; clientSecret: string; tokenTtlSeconds: number };
}
export interface PollTestApiOptions {
  /** Default 0 (a free port); the server listens on 127.0.0.1 only. */
  port?: number;
  /** Seed of the randomness (faults, mutations); default 1. */
  seed?: number;
  /** Largest page (default 50); the client may ask for less with per_page/limit. */
  pageSize?: number;
  /** Token bucket over all list requests: refills perSecond, holds burst (default perSecond). */
  rateLimit?: { perSecond: number; burst?: number };
  /** Probabilities per list request: 500; hang hangMs (default 30000) then answer; 429 under the limit. */
  faults?: { error500?: number; hang?: number; hangMs?: number; rateLimited429?: number };
  /** Probability that serving a page other than the first first bumps a random existing item. */
  mutateBetweenPages?: number;
  /** Credentials the list endpoints require (any one of those configured is accepted). */
  auth?: PollTestApiAuth;
}

interface Entry {
  readonly item: ApiItem;
  readonly ms: number;
}
/** Slack for the client's timers (libuv rounds to the millisecond) in the Retry-After check. */
const RETRY_AFTER_SLACK_MS = 5;
const PAGINATIONS: readonly string[] = ['next-link', 'link-header', 'page', 'offset', 'cursor-token'];

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const toSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Order by (updated_at, id). */
const compare = (a: Entry, b: Entry): number =>
  a.ms - b.ms || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0);
const encodeToken = (e: Entry): string => Buffer.from(`${e.ms}:${e.item.id}`).toString('base64url');
function decodeToken(token: string): Entry | undefined {
  const m = /^(\d+):(.+)$/.exec(Buffer.from(token, 'base64url').toString());
  return m ? key(Number(m[1]), m[2]) : undefined;
}
const key = (ms: number, id: string): Entry => ({ ms, item: { id, name: '', updated_at: '', version: 0 } });
class BadRequest extends Error {}

export class PollTestApi {
  readonly stats = {
    /** GET /<mode>/items requests, whatever their answer. */
    listRequests: 0,
    /** Answers to list requests by status (not those of /oauth/token). */
    answered: {} as Record<number, number>,
    /**
     * List requests that arrived after a 429 had been sent and before its `Retry-After: 1` elapsed
     * (one window for all clients; requests that arrived before the 429 went out do not count).
     */
    retryAfterViolations: 0,
    /** Refused because the bucket was empty (not the random 429s). */
    overLimit: 0,
    /** Most list requests the bucket let through in any sliding one-second window. */
    maxInAnySecond: 0,
    /** Answers that let a request through with `X-RateLimit-Remaining: 0` (the next must wait for the reset). */
    exhausted: 0,
    tokenRequests: 0,
    /** Every 401 sent (list endpoints, /unauthorized/items, /oauth/token). */
    unauthorized: 0,
  };
  private readonly random: () => number;
  private readonly pageSize: number;
  private readonly byId = new Map<string, Entry>();
  private sorted: Entry[] = [];
  private readonly servedVersions = new Map<string, Set<number>>();
  private server?: Server;
  private readonly hanging = new Set<() => void>();
  private readonly listResponses = new WeakSet<ServerResponse>();
  private tokens: number;
  private refilledAt = performance.now();
  private readonly accepted: number[] = [];
  private retryWindow = { from: 0, until: 0 };
  private readonly oauthTokens = new Map<string, number>();
  private revision = 0;
  private whole?: { revision: number; body: string; etag: string };
  private lastModifiedSec = 0;
  private lastModifiedHandedOut = false;
  /** Probability of a change between pages (options.mutateBetweenPages until `settle`). */
  private mutateBetweenPages: number;

  constructor(private readonly options: PollTestApiOptions = {}) {
    this.random = mulberry32(options.seed ?? 1);
    this.pageSize = options.pageSize ?? 50;
    this.tokens = this.burst;
    this.mutateBetweenPages = options.mutateBetweenPages ?? 0;
  }

  /**
   * No more changes between pages: a suite waiting for its poller to catch up needs the data to
   * stand still, or a change made while the last poll it waits for walks can sort behind that walk
   * and is only listed by the poll after it.
   */
  settle(): void {
    this.mutateBetweenPages = 0;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (err instanceof BadRequest) this.send(res, 400, { error: err.message });
        else this.send(res, 500, { error: String(err) });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', resolve);
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const end of [...this.hanging]) end();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  seed(count: number, at?: Date): void {
    const width = Math.max(5, String(count).length);
    const fresh: Entry[] = [];
    for (let i = 1; i <= count; i++) {
      const id = `c${String(i).padStart(width, '0')}`;
      if (this.byId.has(id)) this.upsert(id, undefined, at);
      else fresh.push(this.entry({ id, name: `item ${id}`, updated_at: '', version: 1 }, at));
    }
    for (const e of fresh) this.byId.set(e.item.id, e);
    this.sorted.push(...fresh);
    this.sorted.sort(compare);
    this.changed();
  }

  upsert(id: string, name?: string, at?: Date): ApiItem {
    const old = this.byId.get(id);
    if (old) this.sorted.splice(this.lowerBound(old), 1);
    const e = this.entry(
      {
        id,
        name: name ?? old?.item.name ?? `item ${id}`,
        updated_at: '',
        version: (old?.item.version ?? 0) + 1,
      },
      at,
    );
    this.byId.set(id, e);
    this.sorted.splice(this.lowerBound(e), 0, e);
    this.changed();
    return { ...e.item };
  }

  remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    this.sorted.splice(this.lowerBound(old), 1);
    this.changed();
  }

  items(): ApiItem[] {
    return this.sorted.map((e) => ({ ...e.item }));
  }

  served(): Map<string, Set<number>> {
    return this.servedVersions;
  }

  private entry(item: ApiItem, at?: Date): Entry {
    const ms = toSecond(at ? at.getTime() : Date.now());
    return { item: { ...item, updated_at: iso(ms) }, ms };
  }

  private changed(): void {
    this.revision++;
    // Last-Modified has second precision: a change in a second already handed out moves it on by
    // one, so If-Modified-Since never hides a change.
    const now = Math.floor(Date.now() / 1000);
    this.lastModifiedSec = Math.max(now, this.lastModifiedSec + (this.lastModifiedHandedOut ? 1 : 0));
    this.lastModifiedHandedOut = false;
  }

  /** The index of the first entry not before `k` in (updated_at, id) order. */
  private lowerBound(k: Entry): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.sorted[mid], k) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first entry after `k`. */
  private upperBound(k: Entry): number {
    const i = this.lowerBound(k);
    return i < this.sorted.length && compare(this.sorted[i], k) === 0 ? i + 1 : i;
  }

  private get burst(): number {
    return this.options.rateLimit?.burst ?? this.options.rateLimit?.perSecond ?? 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    if (url.pathname === '/oauth/token' && req.method === 'POST') return this.token(req, res);
    const m = /^\/([a-z-]+)\/items$/.exec(url.pathname);
    if (!m) return this.send(res, 404, { error: 'not found' });
    if (req.method !== 'GET') return this.send(res, 405, { error: 'method not allowed' });
    this.stats.listRequests++;
    this.listResponses.add(res);
    const now = performance.now();
    if (now >= this.retryWindow.from && now < this.retryWindow.until) this.stats.retryAfterViolations++;

    const headers: Record<string, string> = {};
    if (this.options.rateLimit) {
      const { perSecond } = this.options.rateLimit;
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * perSecond);
      this.refilledAt = now;
      const allowed = this.tokens >= 1;
      if (allowed) this.tokens -= 1;
      const fullInMs = ((this.burst - this.tokens) / perSecond) * 1000;
      headers['X-RateLimit-Limit'] = String(this.burst);
      headers['X-RateLimit-Remaining'] = String(Math.floor(this.tokens));
      headers['X-RateLimit-Reset'] = String(Math.ceil((Date.now() + fullInMs) / 1000));
      if (!allowed) {
        this.stats.overLimit++;
        return this.tooMany(res, headers);
      }
      if (Math.floor(this.tokens) === 0) this.stats.exhausted++;
    }
    while (this.accepted.length && this.accepted[0] <= now - 1000) this.accepted.shift();
    this.accepted.push(now);
    this.stats.maxInAnySecond = Math.max(this.stats.maxInAnySecond, this.accepted.length);

    const denied = this.authenticate(req, url);
    if (denied)
      return this.send(
        res,
        401,
        { error: denied.error },
        { ...headers, 'WWW-Authenticate': denied.challenge },
      );

    const { error500 = 0, hang = 0, hangMs = 30_000, rateLimited429 = 0 } = this.options.faults ?? {};
    const r = this.random();
    if (r < error500) return this.send(res, 500, { error: 'internal error (injected)' }, headers);
    if (r < error500 + hang) {
      const stayed = await new Promise<boolean>((resolve) => {
        const end = (): void => {
          clearTimeout(timer);
          this.hanging.delete(end);
          resolve(false);
          res.destroy();
        };
        const timer = setTimeout(() => {
          this.hanging.delete(end);
          res.off('close', end);
          resolve(true);
        }, hangMs);
        this.hanging.add(end);
        res.once('close', end);
      });
      if (!stayed) return;
    } else if (r < error500 + hang + rateLimited429) return this.tooMany(res, headers);

    const mode = m[1];
    if (PAGINATIONS.includes(mode)) return this.page(mode as Pagination, url, res, headers);
    switch (mode) {
      case 'whole':
        return this.wholeList(req, res, headers);
      case 'whole-dated':
        return this.wholeList(req, res, headers, false);
      case 'bad-json':
        return this.send(res, 200, '{"data": [', headers);
      case 'no-items':
        return this.send(res, 200, { something: [] }, headers);
      case 'forbidden':
        return this.send(res, 403, { error: 'forbidden' }, headers);
      case 'unauthorized':
        return this.send(
          res,
          401,
          { error: 'unauthorized' },
          { ...headers, 'WWW-Authenticate': 'Bearer realm="poll-test-api"' },
        );
      default:
        return this.send(res, 404, { error: 'not found' }, headers);
    }
  }

  private page(mode: Pagination, url: URL, res: ServerResponse, headers: Record<string, string>): void {
    const q = url.searchParams;
    const int = (name: string, min: number): number | undefined => {
      const raw = q.get(name);
      if (raw === null) return undefined;
      if (!/^\d+$/.test(raw) || Number(raw) < min)
        throw new BadRequest(`${name} must be an integer >= ${min}`);
      return Number(raw);
    };
    const size = Math.min(this.pageSize, int('per_page', 1) ?? int('limit', 1) ?? this.pageSize);
    const tokenParam = mode === 'cursor-token' ? 'cursor' : 'page_token';
    const token = mode === 'page' || mode === 'offset' ? null : q.get(tokenParam);
    const after = token === null ? undefined : decodeToken(token);
    if (token !== null && !after) throw new BadRequest(`bad ${tokenParam}`);
    const pageNo = mode === 'page' ? (int('page', 1) ?? 1) : 1;
    const offset = mode === 'offset' ? (int('offset', 0) ?? 0) : (pageNo - 1) * size;
    const first = after === undefined && offset === 0;
    if (!first && this.sorted.length && this.random() < this.mutateBetweenPages)
      this.upsert(this.sorted[Math.floor(this.random() * this.sorted.length)].item.id);

    // Where the listing starts: after the token's position, else at `since` (after since_id).
    let start = 0;
    if (after) start = this.upperBound(after);
    else if (q.has('since')) {
      const since = Date.parse(q.get('since') ?? '');
      if (Number.isNaN(since)) throw new BadRequest('since must be an ISO-8601 timestamp');
      const sinceId = q.get('since_id');
      start = sinceId === null ? this.lowerBound(key(since, '')) : this.upperBound(key(since, sinceId));
    }
    const from = start + offset;
    const entries = this.sorted.slice(from, from + size);
    const data = entries.map((e) => e.item);
    const more = from + size < this.sorted.length;
    const next = (param: string, value: string): string => {
      const u = new URL(url);
      u.searchParams.set(param, value);
      return u.toString();
    };
    const last = entries[entries.length - 1];
    switch (mode) {
      case 'next-link':
        return this.send(
          res,
          200,
          { data, next: more ? next('page_token', encodeToken(last)) : null },
          headers,
          data,
        );
      case 'link-header':
        if (more) headers.Link = `<${next('page_token', encodeToken(last))}>; rel="next"`;
        return this.send(res, 200, data, headers, data);
      case 'page':
        return this.send(res, 200, { items: data, page: pageNo }, headers, data);
      case 'offset':
        return this.send(res, 200, { results: data, total: this.sorted.length - start }, headers, data);
      case 'cursor-token': {
        const meta = more ? { next_cursor: encodeToken(last) } : {};
        return this.send(res, 200, { data: { records: data }, meta }, headers, data);
      }
    }
  }

  /** The whole list, with an ETag and Last-Modified, or (`withEtag` false) Last-Modified only. */
  private wholeList(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
    withEtag = true,
  ): void {
    if (this.whole?.revision !== this.revision) {
      const body = JSON.stringify({ data: this.sorted.map((e) => e.item) });
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      this.whole = { revision: this.revision, body, etag };
    }
    const { body } = this.whole;
    if (withEtag) headers.ETag = this.whole.etag;
    headers['Last-Modified'] = new Date(this.lastModifiedSec * 1000).toUTCString();
    this.lastModifiedHandedOut = true;
    const inm = req.headers['if-none-match'];
    const ims = Date.parse(req.headers['if-modified-since'] ?? '');
    const notModified =
      inm !== undefined
        ? inm.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === this.whole!.etag)
        : !Number.isNaN(ims) && ims >= this.lastModifiedSec * 1000;
    if (notModified) return this.send(res, 304, undefined, headers);
    this.send(
      res,
      200,
      body,
      headers,
      this.sorted.map((e) => e.item),
    );
  }

  /** undefined when the request carries one of the configured credentials. */
  private authenticate(req: IncomingMessage, url: URL): { error: string; challenge: string } | undefined {
    const auth = this.options.auth;
    if (!auth || Object.keys(auth).length === 0) return undefined;
    const authorization = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/i.exec(authorization)?.[1];
    if (auth.bearer !== undefined && bearer === auth.bearer) return undefined;
    if (
      auth.basic &&
      authorization === `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64')}`
    )
      return undefined;
    if (auth.apiKeyHeader && req.headers[auth.apiKeyHeader.name.toLowerCase()] === auth.apiKeyHeader.value)
      return undefined;
    if (auth.apiKeyQuery && url.searchParams.get(auth.apiKeyQuery.name) === auth.apiKeyQuery.value)
      return undefined;
    const realm = 'realm="poll-test-api"';
    if (auth.oauth2 && bearer !== undefined && this.oauthTokens.has(bearer)) {
      if (Date.now() < (this.oauthTokens.get(bearer) ?? 0)) return undefined;
      return {
        error: 'token expired',
        challenge: `Bearer ${realm}, error="invalid_token", error_description="token expired"`,
      };
    }
    return {
      error: 'unauthorized',
      challenge: auth.basic && !auth.bearer && !auth.oauth2 ? `Basic ${realm}` : `Bearer ${realm}`,
    };
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.tokenRequests++;
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const form = new URLSearchParams(raw);
    const oauth = this.options.auth?.oauth2;
    if (form.get('grant_type') !== 'client_credentials')
      return this.send(res, 400, { error: 'unsupported_grant_type' });
    let [id, secret] = [form.get('client_id'), form.get('client_secret')];
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString();
      const colon = decoded.indexOf(':');
      [id, secret] = [
        decodeURIComponent(decoded.slice(0, colon)),
        decodeURIComponent(decoded.slice(colon + 1)),
      ];
    }
    if (!oauth || id !== oauth.clientId || secret !== oauth.clientSecret)
      return this.send(
        res,
        401,
        { error: 'invalid_client' },
        { 'WWW-Authenticate': 'Basic realm="poll-test-api"' },
      );
    const accessToken = randomBytes(16).toString('hex');
    this.oauthTokens.set(accessToken, Date.now() + oauth.tokenTtlSeconds * 1000);
    this.send(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: oauth.tokenTtlSeconds,
    });
  }

  private tooMany(res: ServerResponse, headers: Record<string, string>): void {
    res.once('finish', () => {
      const at = performance.now();
      if (at >= this.retryWindow.until) this.retryWindow.from = at;
      this.retryWindow.until = at + 1000 - RETRY_AFTER_SLACK_MS;
    });
    this.send(res, 429, { error: 'rate limited' }, { ...headers, 'Retry-After': '1' });
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    items?: readonly ApiItem[],
  ): void {
    if (res.destroyed || res.headersSent) return;
    if (this.listResponses.has(res)) this.stats.answered[status] = (this.stats.answered[status] ?? 0) + 1;
    if (status === 401) this.stats.unauthorized++;
    if (items && status >= 200 && status < 300)
      for (const item of items) {
        const versions = this.servedVersions.get(item.id) ?? new Set<number>();
        versions.add(item.version);
        this.servedVersions.set(item.id, versions);
      }
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' });
    res.end(text);
  }
}
