// source-http-poll within the API's limits, against the local test API and the real Kafka: the
// server's rate limit never exceeded, its Retry-After and X-RateLimit headers honoured and a
// stream's own rate limit kept (the server counts), 500s and hangs retried, a failing host's circuit
// opened, 401/403 stopping the stream without a retry storm, bad pages answered with a clear
// stream error, and every kind of credentials, OAuth2's renewed.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PollTestApi, type PollTestApiOptions } from './poll-test-api';
import {
  polled,
  pollsDone,
  pollsEnded,
  type PollApp,
  PollTestBed,
  type StreamConfig,
  until,
} from './source-http-poll-harness';

const bed = new PollTestBed();
const apis: PollTestApi[] = [];
after(async () => {
  await bed.cleanup();
  for (const api of apis) await api.stop();
});

async function api(options: PollTestApiOptions, items = 0): Promise<{ api: PollTestApi; base: string }> {
  const server = new PollTestApi(options);
  apis.push(server);
  if (items > 0) server.seed(items);
  return { api: server, base: await server.start() };
}

function stream(name: string, url: string, extra: Partial<StreamConfig> = {}): StreamConfig {
  return {
    name,
    topic: bed.topic(name),
    request: { url, query: { since: '{{ cursor.since }}' } },
    items: 'data',
    key: 'id',
    version: 'version',
    cursor: { field: 'updated_at', tieBreaker: 'id' },
    pagination: { type: 'next-link', path: 'next' },
    schedule: { intervalMs: 200 },
    ...extra,
  };
}

interface StreamStatus {
  name: string;
  phase: string;
  polls: number;
  lastError?: string;
  items: { published: number };
  requests: { requests: number; retries: number; rateLimited: number };
}
const streamStatus = (app: PollApp, name: string): StreamStatus =>
  (app.connector.status() as { streams: StreamStatus[] }).streams.find((s) => s.name === name)!;

async function assertEachOnce(topic: string, expected: number): Promise<void> {
  const records = await bed.records(topic);
  const ids = records.map((r) => `${r.key}@${r.version}`);
  assert.equal(new Set(ids).size, ids.length, 'no item version twice');
  assert.equal(ids.length, expected);
}

describe('source-http-poll: within the API’s limits', () => {
  it('never exceeds the server’s rate limit and waits out every Retry-After', async () => {
    const { api: server, base } = await api(
      { pageSize: 10, rateLimit: { perSecond: 10 }, faults: { rateLimited429: 0.15 }, seed: 7 },
      200,
    );
    const s = stream('limited', `${base}/next-link/items`);
    const app = await bed.runningApp(
      bed.config([s], {
        name: 'poll-limited',
        hosts: { [new URL(base).host]: { rateLimit: { perSecond: 8 } } },
      }),
    );
    await polled(app, 'limited', 1, 60_000);
    assert.equal(server.stats.overLimit, 0, 'the server’s bucket was never found empty');
    assert.equal(server.stats.retryAfterViolations, 0, 'no request inside a Retry-After');
    assert.ok((server.stats.answered[429] ?? 0) > 0, 'the random 429s happened');
    assert.ok(streamStatus(app, 'limited').requests.rateLimited > 0);
    await assertEachOnce(s.topic, 200);
  });

  it('honours X-RateLimit-Remaining: 0 until X-RateLimit-Reset without a limit of its own: the server never refuses', async () => {
    // 13 pages a poll against a bucket of 4: the source runs the bucket dry on every poll, and only
    // the server's headers tell it to wait (no rateLimit configured, no random 429s).
    const { api: server, base } = await api({ pageSize: 5, rateLimit: { perSecond: 4 }, seed: 5 }, 63);
    const s = stream('headers', `${base}/next-link/items`);
    const app = await bed.runningApp(bed.config([s], { name: 'poll-headers' }));
    await polled(app, 'headers', 2, 60_000);
    assert.ok(
      server.stats.exhausted >= 3,
      `answers with X-RateLimit-Remaining: 0: ${server.stats.exhausted}`,
    );
    assert.equal(server.stats.overLimit, 0, 'no request found the server’s bucket empty');
    assert.equal(server.stats.answered[429] ?? 0, 0, 'no 429');
    assert.equal(streamStatus(app, 'headers').requests.rateLimited, 0);
    await assertEachOnce(s.topic, 63);
  });

  it('a stream’s own rateLimit: never more requests in any second than its burst and rate (the server counts)', async () => {
    // 20 pages a poll, the server unlimited: unthrottled, a poll's pages would all arrive within a second.
    const { api: server, base } = await api({ pageSize: 5, seed: 6 }, 100);
    const s = stream('own-limit', `${base}/next-link/items`, { rateLimit: { perSecond: 4, burst: 1 } });
    const app = await bed.runningApp(bed.config([s], { name: 'poll-own-limit' }));
    await polled(app, 'own-limit', 1, 60_000);
    assert.ok(server.stats.listRequests >= 20, `requests: ${server.stats.listRequests}`);
    // burst 1 + 4 a second; one more for the timers' rounding at the window's edges.
    assert.ok(server.stats.maxInAnySecond <= 6, `most requests in a second: ${server.stats.maxInAnySecond}`);
    await assertEachOnce(s.topic, 100);
  });

  it('a host failing every request opens its circuit: requests stop at the threshold, the stream error names the open circuit', async () => {
    const { api: server, base } = await api({ faults: { error500: 1 } }, 5);
    const s = stream('broken-host', `${base}/next-link/items`);
    const app = await bed.runningApp(
      bed.config([s], {
        name: 'poll-circuit',
        requests: {
          retries: 10,
          initialDelayMs: 10,
          maxDelayMs: 50,
          circuitBreaker: { failureThreshold: 3, coolDownMs: 600_000 },
        },
      }),
    );
    await pollsEnded(app, 'broken-host', 3);
    assert.match(
      streamStatus(app, 'broken-host').lastError ?? '',
      /circuit open for 127\.0\.0\.1:\d+ after repeated failures/,
    );
    assert.equal(server.stats.listRequests, 3, 'the threshold’s 3 requests, then none while open');
    assert.equal(server.stats.answered[500], 3);
    assert.equal(streamStatus(app, 'broken-host').items.published, 0);
  });

  it('retries 500s and hanging requests (the timeout) and loses nothing', async () => {
    const { api: server, base } = await api(
      { pageSize: 10, faults: { error500: 0.2, hang: 0.1, hangMs: 5_000 }, seed: 11 },
      150,
    );
    const s = stream('flaky', `${base}/next-link/items`);
    const app = await bed.runningApp(
      bed.config([s], {
        name: 'poll-flaky',
        requests: { timeoutMs: 300, retries: 20, initialDelayMs: 20, maxDelayMs: 200 },
      }),
    );
    await until(
      () => streamStatus(app, 'flaky').items.published >= 150,
      60_000,
      'every item',
      () => JSON.stringify(streamStatus(app, 'flaky')),
    );
    assert.ok((server.stats.answered[500] ?? 0) > 0, 'the 500s happened');
    assert.ok(streamStatus(app, 'flaky').requests.retries > 0);
    await assertEachOnce(s.topic, 150);
  });

  it('a 403 stops its stream with a clear status, without retrying; the other streams go on', async () => {
    const { api: server, base } = await api({}, 5);
    const denied = stream('denied', `${base}/forbidden/items`);
    const fine = stream('fine', `${base}/next-link/items`);
    const app = await bed.runningApp(bed.config([denied, fine], { name: 'poll-denied' }));
    await until(() => streamStatus(app, 'denied').phase === 'refused', 10_000, 'the stream refused');
    const refused = streamStatus(app, 'denied');
    assert.match(refused.lastError ?? '', /answered 403 \(forbidden\)/);
    const requestsThen = server.stats.listRequests;
    await polled(app, 'fine', pollsDone(app, 'fine') + 3);
    assert.equal(streamStatus(app, 'denied').requests.requests, 1, 'one request, no retry storm');
    assert.ok(server.stats.listRequests > requestsThen, 'the other stream still polls');
    assert.equal(app.connector.phase, 'running');
    await assertEachOnce(fine.topic, 5);
    const health = await fetch(`${app.url}/status`).then((r) => r.json());
    assert.equal(
      (health as { streams: StreamStatus[] }).streams.find((s) => s.name === 'denied')!.phase,
      'refused',
    );
  });

  it('a 401 stops the stream as well', async () => {
    const { base } = await api({});
    const app = await bed.runningApp(
      bed.config([stream('unauthorized', `${base}/unauthorized/items`)], { name: 'poll-401' }),
    );
    await until(() => streamStatus(app, 'unauthorized').phase === 'refused', 10_000, 'the stream refused');
    assert.match(streamStatus(app, 'unauthorized').lastError ?? '', /answered 401 \(credentials refused\)/);
  });

  it('bad JSON and a missing items path are stream errors naming what is wrong; nothing is published', async () => {
    const { base } = await api({}, 3);
    const bad = stream('bad-json', `${base}/bad-json/items`);
    const missing = stream('no-items', `${base}/no-items/items`);
    const app = await bed.runningApp(bed.config([bad, missing], { name: 'poll-bad' }));
    await pollsEnded(app, 'bad-json', 2);
    await pollsEnded(app, 'no-items', 2);
    assert.match(streamStatus(app, 'bad-json').lastError ?? '', /bad-json\/items is not JSON/);
    assert.match(streamStatus(app, 'no-items').lastError ?? '', /no list at items path 'data'/);
    assert.equal(streamStatus(app, 'bad-json').phase, 'waiting', 'it tries again at its interval');
    assert.equal(streamStatus(app, 'bad-json').items.published, 0);
    assert.equal((await bed.records(bad.topic)).length, 0);
  });
});

describe('source-http-poll: credentials', () => {
  it('OAuth2 client credentials: the token fetched, renewed when it expires, no 401 storm', async () => {
    const auth = { oauth2: { clientId: 'sluice', clientSecret: 'oauth-secret-value', tokenTtlSeconds: 1 } };
    const { api: server, base } = await api({ auth }, 20);
    const s = stream('oauth', `${base}/next-link/items`, {
      auth: {
        type: 'oauth2',
        tokenUrl: `${base}/oauth/token`,
        clientId: 'sluice',
        clientSecret: 'oauth-secret-value',
      },
      schedule: { intervalMs: 300 },
    });
    const app = await bed.runningApp(bed.config([s], { name: 'poll-oauth' }));
    await polled(app, 'oauth', 8, 30_000);
    assert.ok(server.stats.tokenRequests >= 2, `tokens fetched: ${server.stats.tokenRequests}`);
    assert.ok(server.stats.unauthorized <= server.stats.tokenRequests, `401s: ${server.stats.unauthorized}`);
    assert.equal(streamStatus(app, 'oauth').phase, 'waiting');
    await assertEachOnce(s.topic, 20);
  });

  it('wrong OAuth2 client credentials stop the stream', async () => {
    const auth = { oauth2: { clientId: 'sluice', clientSecret: 'oauth-secret-value', tokenTtlSeconds: 60 } };
    const { base } = await api({ auth }, 1);
    const s = stream('oauth-wrong', `${base}/next-link/items`, {
      auth: {
        type: 'oauth2',
        tokenUrl: `${base}/oauth/token`,
        clientId: 'sluice',
        clientSecret: 'not-the-secret',
      },
    });
    const app = await bed.runningApp(bed.config([s], { name: 'poll-oauth-wrong' }));
    await until(() => streamStatus(app, 'oauth-wrong').phase === 'refused', 10_000, 'the stream refused');
    assert.match(
      streamStatus(app, 'oauth-wrong').lastError ?? '',
      /token endpoint refused the client credentials/,
    );
  });

  it('bearer, basic, API key in a header and in the query, the secrets from ${ENV}', async () => {
    // As deployed: the configuration names the variables, the environment holds the secrets.
    process.env.SLUICE_IT_POLL_BEARER = 'bearer-token-value';
    process.env.SLUICE_IT_POLL_PASSWORD = 'p4ssword';
    process.env.SLUICE_IT_POLL_KEY = 'k3y-value';
    const variants: [string, PollTestApiOptions['auth'], StreamConfig['auth']][] = [
      ['bearer', { bearer: 'bearer-token-value' }, { type: 'bearer', token: '${SLUICE_IT_POLL_BEARER}' }],
      [
        'basic',
        { basic: { user: 'u', password: 'p4ssword' } },
        { type: 'basic', username: 'u', password: '${SLUICE_IT_POLL_PASSWORD}' },
      ],
      [
        'key-header',
        { apiKeyHeader: { name: 'X-Api-Key', value: 'k3y-value' } },
        { type: 'api-key', header: 'X-Api-Key', value: '${SLUICE_IT_POLL_KEY}' },
      ],
      [
        'key-query',
        { apiKeyQuery: { name: 'api_key', value: 'k3y-value' } },
        { type: 'api-key-query', param: 'api_key', value: '${SLUICE_IT_POLL_KEY}' },
      ],
    ];
    for (const [name, serverAuth, auth] of variants) {
      const { base } = await api({ auth: serverAuth }, 4);
      const s = stream(name, `${base}/next-link/items`, { auth });
      const app = await bed.runningApp(bed.config([s], { name: `poll-${name}` }));
      await polled(app, name, 1);
      assert.equal(streamStatus(app, name).lastError, undefined, name);
      await assertEachOnce(s.topic, 4);
      await bed.stopApp(app);
    }
  });
});
