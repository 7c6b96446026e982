// Self-check of the test API the source-http-poll suites poll (issue #20): each pagination walked to
// its end over real HTTP, since/since_id, the token bucket with 429 + Retry-After and the count of
// requests sent too early, the random faults, ETag/Last-Modified with 304, the broken answers, the
// credentials and OAuth2 token expiry, changes between pages and deletes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiItem, type Pagination, PollTestApi, type PollTestApiOptions } from './poll-test-api';

const started: PollTestApi[] = [];
async function api(options: PollTestApiOptions = {}): Promise<{ api: PollTestApi; base: string }> {
  const server = new PollTestApi(options);
  started.push(server);
  return { api: server, base: await server.start() };
}
after(() => Promise.all(started.map((s) => s.stop())));

async function json(url: string, init?: RequestInit): Promise<{ res: Response; body: unknown }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { res, body: text ? JSON.parse(text) : undefined };
}

/** Walks every page of one pagination; the items in order and the number of requests. */
async function walk(
  base: string,
  mode: Pagination,
  query = '',
): Promise<{ items: ApiItem[]; pages: number }> {
  const items: ApiItem[] = [];
  let pages = 0;
  let url: string | null = `${base}/${mode}/items?${query}`;
  for (let n = 1; url !== null && pages < 100; n++) {
    pages++;
    if (mode === 'page') {
      const { body } = await json(`${url}&page=${n}`);
      const page = body as { items: ApiItem[]; page: number };
      assert.equal(page.page, n);
      items.push(...page.items);
      if (page.items.length === 0) url = null;
    } else if (mode === 'offset') {
      const { body } = await json(`${url}&offset=${items.length}`);
      const page = body as { results: ApiItem[]; total: number };
      items.push(...page.results);
      if (page.results.length === 0 || items.length >= page.total) url = null;
    } else if (mode === 'next-link') {
      const { body } = await json(url);
      const page = body as { data: ApiItem[]; next: string | null };
      items.push(...page.data);
      url = page.next;
    } else if (mode === 'link-header') {
      const { res, body } = await json(url);
      items.push(...(body as ApiItem[]));
      url = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
    } else {
      const { body } = await json(url);
      const page = body as { data: { records: ApiItem[] }; meta: { next_cursor?: string } };
      items.push(...page.data.records);
      const cursor = page.meta.next_cursor;
      url =
        cursor === undefined ? null : `${base}/${mode}/items?${query}&cursor=${encodeURIComponent(cursor)}`;
    }
  }
  return { items, pages };
}

const MODES: Pagination[] = ['next-link', 'link-header', 'page', 'offset', 'cursor-token'];

describe('poll test API', () => {
  it('walks all pages of every pagination, sorted by (updated_at, id), with since and since_id', async () => {
    const { api: server, base } = await api({ pageSize: 5 });
    const t0 = new Date(Date.UTC(2025, 0, 1, 0, 0, 0, 0));
    server.seed(12, t0);
    for (let i = 0; i < 11; i++)
      server.upsert(`d${i}`, undefined, new Date(t0.getTime() + (i % 3) * 1000 + 400));
    const all = server.items();
    assert.equal(all.length, 23);
    assert.equal(all[0].updated_at, '2025-01-01T00:00:00Z');
    assert.deepEqual(
      all.map((i) => i.id),
      [...all].sort((a, b) => (a.updated_at + a.id < b.updated_at + b.id ? -1 : 1)).map((i) => i.id),
    );
    for (const mode of MODES) {
      const { items, pages } = await walk(base, mode, 'per_page=10&limit=10');
      assert.deepEqual(items, all, mode);
      // Pages of 5 (the server's limit); page and offset need one more request to see the end.
      assert.equal(pages, mode === 'page' ? 6 : 5, mode);
      const since = await walk(base, mode, 'since=2025-01-01T00:00:01Z&per_page=2&limit=2');
      assert.deepEqual(
        since.items,
        all.filter((i) => i.updated_at >= '2025-01-01T00:00:01Z'),
        mode,
      );
      const tie = await walk(base, mode, 'since=2025-01-01T00:00:01.000Z&since_id=d4');
      assert.deepEqual(
        tie.items.map((i) => i.id),
        ['d7', 'd2', 'd5', 'd8'],
        mode,
      );
    }
    const { res } = await json(`${base}/cursor-token/items?cursor=%%%`);
    assert.equal(res.status, 400);
    assert.equal(server.served().get('c00001')?.has(1), true);
  });

  it('shows changes between pages and forgets removed items', async () => {
    const { api: server, base } = await api({ pageSize: 10, mutateBetweenPages: 1, seed: 7 });
    server.seed(30, new Date(Date.now() - 3_600_000));
    const { items } = await walk(base, 'next-link');
    const bumped = items.filter((i) => i.version === 2);
    // Each of the pages after the first bumped an item; a bumped item comes again at the end.
    assert.ok(bumped.length >= 2, `bumped ${bumped.length}`);
    assert.ok([...server.served().values()].some((v) => v.has(1) && v.has(2)));
    server.remove('c00003');
    assert.equal(server.items().length, 29);
    const { body } = await json(`${base}/offset/items?limit=50`);
    assert.ok(!(body as { results: ApiItem[] }).results.some((i) => i.id === 'c00003'));
  });

  it('rate-limits with 429 and Retry-After, and counts requests sent before it elapsed', async () => {
    const { api: server, base } = await api({ rateLimit: { perSecond: 4 } });
    server.seed(3);
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${base}/page/items`);
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 429) refused = res;
      else assert.equal(res.headers.get('x-ratelimit-remaining'), String(3 - i));
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    assert.equal(refused?.headers.get('retry-after'), '1');
    assert.equal(refused?.headers.get('x-ratelimit-limit'), '4');
    assert.equal(refused?.headers.get('x-ratelimit-remaining'), '0');
    assert.ok(Number(refused?.headers.get('x-ratelimit-reset')) >= Math.floor(Date.now() / 1000));
    assert.equal(server.stats.overLimit, 1);
    assert.equal(server.stats.retryAfterViolations, 0);
    await (await fetch(`${base}/page/items`)).arrayBuffer(); // too early
    assert.equal(server.stats.retryAfterViolations, 1);
    await sleep(1000);
    const res = await fetch(`${base}/page/items`);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(server.stats.retryAfterViolations, 1);
    assert.equal(server.stats.maxInAnySecond, 4);
    assert.equal(server.stats.listRequests, 7);
    assert.deepEqual(server.stats.answered, { 200: 5, 429: 2 });
  });

  it('injects 500s, 429s under the limit, and hangs', async () => {
    const { api: failing, base: failingBase } = await api({ faults: { error500: 1 } });
    assert.equal((await fetch(`${failingBase}/page/items`)).status, 500);
    assert.equal(failing.stats.answered[500], 1);

    const { api: limited, base: limitedBase } = await api({ faults: { rateLimited429: 1 } });
    const res = await fetch(`${limitedBase}/page/items`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(limited.stats.overLimit, 0);

    const { api: hanging, base: hangingBase } = await api({ faults: { hang: 1, hangMs: 200 } });
    hanging.seed(2);
    const t = performance.now();
    const slow = await fetch(`${hangingBase}/next-link/items`);
    assert.equal(slow.status, 200);
    assert.equal(((await slow.json()) as { data: ApiItem[] }).data.length, 2);
    assert.ok(performance.now() - t >= 190);
    // A client that gives up is let go; stop() ends what still hangs.
    await assert.rejects(fetch(`${hangingBase}/next-link/items`, { signal: AbortSignal.timeout(50) }));
    const { api: stuck, base: stuckBase } = await api({ faults: { hang: 1 } });
    const pending = fetch(`${stuckBase}/page/items`).then(
      (r) => r.status,
      () => 'ended',
    );
    await sleep(50);
    await stuck.stop();
    assert.equal(await pending, 'ended');
  });

  it('answers 304 to If-None-Match and If-Modified-Since until the list changes', async () => {
    const { api: server, base } = await api();
    server.seed(4);
    const first = await fetch(`${base}/whole/items`);
    assert.equal(((await first.json()) as { data: ApiItem[] }).data.length, 4);
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    assert.ok(etag && lastModified);
    const inm = await fetch(`${base}/whole/items`, { headers: { 'If-None-Match': etag } });
    assert.equal(inm.status, 304);
    assert.equal(await inm.text(), '');
    const ims = await fetch(`${base}/whole/items`, { headers: { 'If-Modified-Since': lastModified } });
    assert.equal(ims.status, 304);
    server.upsert('c00002'); // in the same second as the last answer, still seen
    const changed = await fetch(`${base}/whole/items`, { headers: { 'If-None-Match': etag } });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    await changed.arrayBuffer();
    const since = await fetch(`${base}/whole/items`, { headers: { 'If-Modified-Since': lastModified } });
    assert.equal(since.status, 200);
    await since.arrayBuffer();
    assert.deepEqual([...(server.served().get('c00002') ?? [])], [1, 2]);
  });

  it('answers bad JSON, a missing items path, 403 and 401', async () => {
    const { base } = await api();
    const bad = await fetch(`${base}/bad-json/items`);
    assert.equal(bad.status, 200);
    assert.match(bad.headers.get('content-type') ?? '', /application\/json/);
    await assert.rejects(bad.json());
    assert.deepEqual((await json(`${base}/no-items/items`)).body, { something: [] });
    const forbidden = await json(`${base}/forbidden/items`);
    assert.equal(forbidden.res.status, 403);
    assert.deepEqual(forbidden.body, { error: 'forbidden' });
    const unauthorized = await fetch(`${base}/unauthorized/items`);
    assert.equal(unauthorized.status, 401);
    assert.ok(unauthorized.headers.get('www-authenticate'));
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  });

  it('requires the configured credentials', async () => {
    const { api: server, base } = await api({
      auth: {
        bearer: 'tok',
        basic: { user: 'u', password: 'p' },
        apiKeyHeader: { name: 'X-Api-Key', value: 'k1' },
        apiKeyQuery: { name: 'api_key', value: 'k2' },
      },
    });
    const none = await fetch(`${base}/page/items`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /realm=/);
    for (const [path, headers] of [
      ['/page/items', { Authorization: 'Bearer tok' }],
      ['/page/items', { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` }],
      ['/page/items', { 'X-Api-Key': 'k1' }],
      ['/page/items?api_key=k2', {}],
    ] as const) {
      assert.equal((await fetch(`${base}${path}`, { headers })).status, 200, JSON.stringify(headers));
    }
    assert.equal(
      (await fetch(`${base}/page/items`, { headers: { Authorization: 'Bearer nope' } })).status,
      401,
    );
    assert.equal(server.stats.unauthorized, 2);
  });

  it('issues OAuth2 client-credentials tokens that expire', async () => {
    const { api: server, base } = await api({
      auth: { oauth2: { clientId: 'cid', clientSecret: 's3', tokenTtlSeconds: 1 } },
    });
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const viaBasic = await json(`${base}/oauth/token`, {
      method: 'POST',
      headers: { ...form, Authorization: `Basic ${Buffer.from('cid:s3').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(viaBasic.res.status, 200);
    const token = viaBasic.body as { access_token: string; token_type: string; expires_in: number };
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_in, 1);
    const bearer = { Authorization: `Bearer ${token.access_token}` };
    assert.equal((await fetch(`${base}/next-link/items`, { headers: bearer })).status, 200);
    await sleep(1050);
    const expired = await fetch(`${base}/next-link/items`, { headers: bearer });
    assert.equal(expired.status, 401);
    assert.match(expired.headers.get('www-authenticate') ?? '', /invalid_token/);
    const viaForm = await json(`${base}/oauth/token`, {
      method: 'POST',
      headers: form,
      body: 'grant_type=client_credentials&client_id=cid&client_secret=s3',
    });
    const fresh = (viaForm.body as { access_token: string }).access_token;
    assert.notEqual(fresh, token.access_token);
    assert.equal(
      (await fetch(`${base}/next-link/items`, { headers: { Authorization: `Bearer ${fresh}` } })).status,
      200,
    );
    const wrong = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: form,
      body: 'grant_type=client_credentials&client_id=cid&client_secret=bad',
    });
    assert.equal(wrong.status, 401);
    assert.equal(server.stats.tokenRequests, 3);
    assert.equal(server.stats.unauthorized, 2);
  });
});
