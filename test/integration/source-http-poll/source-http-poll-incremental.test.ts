// source-http-poll against the local test API and the real Kafka: incremental polls from a
// high-water mark with tied timestamps, every pagination strategy, ETag/If-Modified-Since, and the
// look-back overlap, each item version published once; and what a stream reports on /status and
// /metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createProducer, OffsetsTopic } from '@sluice/kafka';
import { type Pagination, PollTestApi } from './poll-test-api';
import {
  polled,
  pollsDone,
  pollsEnded,
  PollTestBed,
  type PolledRecord,
  type StreamConfig,
} from './source-http-poll-harness';

const bed = new PollTestBed();
after(() => bed.cleanup());

/** (key, version) pairs of the `u` records, and how often each appears. */
function versions(records: PolledRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records.filter((r) => r.op === 'u')) {
    const id = `${r.key}@${r.version}`;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

function incremental(name: string, base: string, mode: Pagination, topic: string): StreamConfig {
  const pagination: StreamConfig['pagination'] = {
    'next-link': { type: 'next-link' as const, path: 'next' },
    'link-header': { type: 'link-header' as const },
    page: { type: 'page' as const, param: 'page', sizeParam: 'per_page', size: 25 },
    offset: { type: 'offset' as const, param: 'offset', sizeParam: 'limit', size: 25 },
    'cursor-token': { type: 'cursor-token' as const, path: 'meta.next_cursor', param: 'cursor' },
  }[mode];
  const items = {
    'next-link': 'data',
    'link-header': '$',
    page: 'items',
    offset: 'results',
    'cursor-token': 'data.records',
  }[mode];
  return {
    name,
    topic,
    request: { url: `${base}/${mode}/items`, query: { since: '{{ cursor.since }}' } },
    items,
    key: 'id',
    version: 'version',
    cursor: { field: 'updated_at', tieBreaker: 'id' },
    pagination,
    schedule: { intervalMs: 200 },
  };
}

describe('source-http-poll: incremental polls', () => {
  const api = new PollTestApi({ pageSize: 25 });
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('publishes every item once, then only the new and changed ones; tied timestamps are not lost or repeated', async () => {
    const t0 = new Date(Date.now() - 60_000);
    api.seed(120, t0); // 120 items sharing one second
    const topic = bed.topic('incremental');
    const app = await bed.runningApp(bed.config([incremental('customers', base, 'next-link', topic)]));
    await polled(app, 'customers', 2);
    let records = await bed.records(topic);
    assert.equal(records.length, 120, 'each seeded item once');
    assert.ok([...versions(records).values()].every((n) => n === 1));

    api.upsert('c00007', 'renamed');
    api.upsert('c00500', 'new one');
    api.upsert('c00008', 'renamed too');
    await polled(app, 'customers', pollsDone(app, 'customers') + 2);
    records = await bed.records(topic);
    assert.equal(records.length, 123, 'the three changes once each');
    const last = records
      .filter((r) => r.version === '2' || r.key === 'c00500')
      .map((r) => `${r.key}@${r.version}`)
      .sort();
    assert.deepEqual(last, ['c00007@2', 'c00008@2', 'c00500@1']);
    assert.ok(
      [...versions(records).values()].every((n) => n === 1),
      'no version twice',
    );
    const value = records.find((r) => r.key === 'c00007' && r.version === '2')!.value!;
    assert.equal(JSON.parse(value.item as string).name, 'renamed');

    const cursors = await bed.cursors('source-http-poll', 'customers');
    const marks = cursors.filter((c) => c.mark).map((c) => Date.parse(String(c.mark!.value)));
    assert.ok(
      marks.every((m, i) => i === 0 || m >= marks[i - 1]!),
      'the committed mark never moves back',
    );
  });

  for (const mode of ['link-header', 'page', 'offset', 'cursor-token'] as const)
    it(`walks every page with ${mode} pagination`, async () => {
      const topic = bed.topic(mode);
      const app = await bed.runningApp(
        bed.config([incremental(mode, base, mode, topic)], { name: `poll-${mode}` }),
      );
      await polled(app, mode, 1);
      const records = await bed.records(topic);
      const expected = api
        .items()
        .map((i) => `${i.id}@${i.version}`)
        .sort();
      assert.deepEqual([...versions(records).keys()].sort(), expected);
      assert.ok([...versions(records).values()].every((n) => n === 1));
      await bed.stopApp(app);
    });
});

describe('source-http-poll: whole-resource polling', () => {
  const api = new PollTestApi();
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('sends the ETag back; a 304 publishes nothing and a change publishes only the changed item', async () => {
    api.seed(10);
    const topic = bed.topic('whole');
    const app = await bed.runningApp(
      bed.config(
        [
          {
            name: 'whole',
            topic,
            request: { url: `${base}/whole/items` },
            items: 'data',
            key: 'id',
            cursor: { conditional: true },
            schedule: { intervalMs: 150 },
          },
        ],
        { name: 'poll-whole' },
      ),
    );
    await polled(app, 'whole', 3);
    assert.ok((api.stats.answered[304] ?? 0) >= 1, `304s: ${JSON.stringify(api.stats.answered)}`);
    assert.equal((await bed.records(topic)).length, 10);
    api.upsert('c00003', 'changed');
    await polled(app, 'whole', pollsDone(app, 'whole') + 2);
    const records = await bed.records(topic);
    assert.equal(records.length, 11, 'only the changed item again');
    const again = records.filter((r) => r.key === 'c00003');
    assert.equal(again.length, 2);
    assert.deepEqual(
      again.map((r) => JSON.parse(r.value!.item as string).name),
      ['item c00003', 'changed'],
    );
  });
});

describe('source-http-poll: whole-resource polling by date', () => {
  const api = new PollTestApi();
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('without an ETag sends If-Modified-Since from Last-Modified; a 304 publishes nothing, a change only the changed item', async () => {
    api.seed(6);
    const topic = bed.topic('dated');
    const app = await bed.runningApp(
      bed.config(
        [
          {
            name: 'dated',
            topic,
            request: { url: `${base}/whole-dated/items` },
            items: 'data',
            key: 'id',
            cursor: { conditional: true },
            schedule: { intervalMs: 150 },
          },
        ],
        { name: 'poll-dated' },
      ),
    );
    await polled(app, 'dated', 3);
    assert.ok((api.stats.answered[304] ?? 0) >= 1, `304s: ${JSON.stringify(api.stats.answered)}`);
    const status = app.connector.status() as {
      streams: { cursor: { lastModified?: string; etag?: string } }[];
    };
    assert.ok(status.streams[0]!.cursor.lastModified, 'the Last-Modified kept in the cursor');
    assert.equal(status.streams[0]!.cursor.etag, undefined);
    assert.equal((await bed.records(topic)).length, 6);
    api.upsert('c00002', 'changed');
    await polled(app, 'dated', pollsDone(app, 'dated') + 2);
    const records = await bed.records(topic);
    assert.equal(records.length, 7, 'only the changed item again');
    assert.deepEqual(
      records.filter((r) => r.key === 'c00002').map((r) => JSON.parse(r.value!.item as string).name),
      ['item c00002', 'changed'],
    );
  });
});

describe('source-http-poll: look-back overlap', () => {
  const api = new PollTestApi({ pageSize: 20 });
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('asks again for the look-back window and publishes a late item in it, and no overlap item twice', async () => {
    const now = Date.now();
    api.seed(30, new Date(now - 20_000));
    const topic = bed.topic('lookback');
    const stream = {
      ...incremental('late', base, 'next-link', topic),
      cursor: { field: 'updated_at', lookbackSeconds: 60 },
    };
    const app = await bed.runningApp(bed.config([stream], { name: 'poll-lookback' }));
    await polled(app, 'late', 2);
    // An item committed late at the API: its timestamp is before the mark, within the look-back.
    api.upsert('late-1', 'late', new Date(now - 30_000));
    api.upsert('c00002', 'changed', new Date(now - 10_000));
    await polled(app, 'late', pollsDone(app, 'late') + 3);
    const records = await bed.records(topic);
    assert.equal(records.length, 32, '30 items, the late one, the change');
    assert.ok(
      [...versions(records).values()].every((n) => n === 1),
      'the overlap is not published again',
    );
    assert.ok(records.some((r) => r.key === 'late-1'));
  });
});

describe('source-http-poll: what a stream reports', () => {
  const api = new PollTestApi({ pageSize: 4 });
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('/status shows each stream’s cursor, last poll, items and errors; /metrics counts its items and polls', async () => {
    api.seed(9, new Date(Date.now() - 60_000));
    const fine = incremental('reported', base, 'next-link', bed.topic('reported'));
    const broken = { ...incremental('reported-broken', base, 'next-link', bed.topic('reported-broken')) };
    broken.request = { url: `${base}/bad-json/items` };
    const app = await bed.runningApp(bed.config([fine, broken], { name: 'poll-reported' }));
    await polled(app, 'reported', 2);
    await pollsEnded(app, 'reported-broken', 1);
    const status = (await fetch(`${app.url}/status`).then((r) => r.json())) as {
      streams: {
        name: string;
        topic: string;
        cursor: { mark?: { value: string; id: string } };
        lastPollAt?: string;
        items: { published: number };
        polls: number;
        failures: number;
        lastError?: string;
      }[];
    };
    const reported = status.streams.find((s) => s.name === 'reported')!;
    const newest = api
      .items()
      .reduce((a, b) =>
        a.updated_at > b.updated_at || (a.updated_at === b.updated_at && a.id > b.id) ? a : b,
      );
    assert.deepEqual(
      reported.cursor.mark,
      { value: newest.updated_at, id: newest.id },
      'the high-water mark',
    );
    assert.ok(
      reported.lastPollAt && Date.parse(reported.lastPollAt) > 0,
      `lastPollAt ${reported.lastPollAt}`,
    );
    assert.equal(reported.items.published, 9);
    assert.equal(reported.failures, 0);
    assert.equal(reported.lastError, undefined);
    const brokenStatus = status.streams.find((s) => s.name === 'reported-broken')!;
    assert.ok(brokenStatus.failures >= 1);
    assert.match(brokenStatus.lastError ?? '', /is not JSON/);

    const metrics = await fetch(`${app.url}/metrics`).then((r) => r.text());
    const sample = (name: string, labels: Record<string, string>): number | undefined => {
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        );
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    assert.equal(sample('sluice_http_poll_items_total', { stream: 'reported', outcome: 'published' }), 9);
    assert.ok((sample('sluice_http_poll_polls_total', { stream: 'reported', outcome: 'ok' }) ?? 0) >= 2);
    assert.ok(
      (sample('sluice_http_poll_polls_total', { stream: 'reported-broken', outcome: 'failed' }) ?? 0) >= 1,
    );
  });
});

describe('source-http-poll: a stored cursor of another shape', () => {
  const api = new PollTestApi({ pageSize: 25 });
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(() => api.stop());

  it('fails the source once, naming the record, and publishes nothing (it polled everything again)', async () => {
    api.seed(10, new Date(Date.now() - 60_000));
    const topic = bed.topic('bad-cursor');
    await new OffsetsTopic(bed.kafka, bed.offsetsTopic).ensure(1);
    const producer = createProducer(bed.kafka);
    await producer.connect();
    try {
      // What an older layout (or a hand edit) might hold: a bare time as the mark.
      await producer.send({
        topic: bed.offsetsTopic,
        messages: [
          {
            key: JSON.stringify(['source-http-poll', 'customers']),
            value: JSON.stringify({ mark: '2025-01-01T00:00:00Z' }),
          },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const app = await bed.startApp(bed.config([incremental('customers', base, 'next-link', topic)]));
    const outcome = await Promise.race([
      app.connector.done.then(
        () => 'ended without an error',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
    ]);
    assert.ok(outcome instanceof Error, String(outcome));
    assert.match(outcome.message, /the cursor of stream customers in .*mark is not \{value, id\}/);
    assert.equal(app.connector.phase, 'failed');
    assert.deepEqual(await bed.records(topic).catch(() => []), [], 'nothing published');
  });
});
