import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { type Kafka, type Message, type TopicMessages } from 'kafkajs';
import { parseConfig } from '@sluice/config';
import {
  type Logger,
  MessageTracing,
  startTelemetry,
  telemetry,
  tracingConfigSchema,
} from '@sluice/observability';
import { InMemorySchemaRegistry, RecordEncoder } from '@sluice/schema';
import { sourceHttpPollConnector } from '../connector/source-http-poll-connector';
import { type PollCursor } from '../cursor/poll-cursor';
import { type CursorStore } from '../offsets/cursor-store';
import { type ApiClient, type ApiRequest } from '../request/api-client';
import { ItemRecords, VERSION_HEADER } from './item-records';
import { type PagePublisher } from './page-publisher';
import { PollStream } from './poll-stream';

// Pages of 5,000 items: each fills a transaction, so a three-page poll is three transactions.
const PAGE = 5_000;
const t0 = Date.parse('2025-01-01T00:00:00Z');

const config = parseConfig(sourceHttpPollConnector.configSchema, {
  streams: [
    {
      name: 'customers',
      topic: 'crm.customers',
      request: { url: 'https://api.example.com/v1/customers', query: { since: '{{ cursor.since }}' } },
      items: 'data',
      key: 'id',
      cursor: { field: 'updated_at', tieBreaker: 'id' },
      pagination: { type: 'next-link', path: 'next' },
    },
  ],
  kafka: { brokers: ['127.0.0.1:9092'] },
}).streams[0]!;

/** Three pages, the next link in each body. */
const client = {
  counters: { requests: 0, retries: 0, rateLimited: 0 },
  async send(req: ApiRequest) {
    const page = Number(req.url.searchParams.get('p') ?? '1');
    const data = Array.from({ length: PAGE }, (_, i) => {
      const n = (page - 1) * PAGE + i;
      return { id: `c${String(n).padStart(6, '0')}`, updated_at: new Date(t0 + n * 1000).toISOString() };
    });
    return {
      notModified: false as const,
      headers: {},
      body: { data, next: page < 3 ? `https://api.example.com/v1/customers?p=${page + 1}` : null },
    };
  },
} as unknown as ApiClient;

const cursors = {
  record: (stream: string, cursor: PollCursor) => ({
    topic: 'offsets',
    messages: [{ key: stream, value: JSON.stringify(cursor) }],
  }),
} as unknown as CursorStore;

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

/** A publisher recording each transaction's cursor; `fail(n)` rejects the n-th after a moment. */
function publisher(failing?: number) {
  const committed: PollCursor[] = [];
  const records: Message[] = [];
  let sent = 0;
  let open = false;
  let overlapped = false;
  const fake = {
    publish(topics: TopicMessages[]): Promise<void> {
      const n = ++sent;
      if (open) overlapped = true;
      open = true;
      return new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          open = false;
          if (n === failing) return reject(new Error(`transaction ${n} aborted`));
          const offsets = topics.find((t) => t.topic === 'offsets')!;
          committed.push(JSON.parse(String(offsets.messages[0]!.value)) as PollCursor);
          records.push(...(topics.find((t) => t.topic === config.topic)?.messages ?? []));
          resolve();
        }, 30),
      );
    },
  };
  return {
    fake: fake as unknown as PagePublisher,
    committed,
    records,
    sent: () => sent,
    overlapped: () => overlapped,
  };
}

function stream(pub: PagePublisher, api: ApiClient = client): PollStream {
  return new PollStream(config, {
    client: api,
    records: new ItemRecords(config, '/', new RecordEncoder(new InMemorySchemaRegistry())),
    publisher: pub,
    cursors,
    kafka: {} as Kafka,
    logger: quiet,
    tracing: new MessageTracing('sluice.source-http-poll.spec'),
  });
}

const mark = (s: PollStream) => (s.status() as { cursor: { mark?: { id: string } } }).cursor.mark;

describe('PollStream commits', () => {
  it('one transaction at a time, each with the cursor after its pages; the last moves the mark', async () => {
    const pub = publisher();
    const s = stream(pub.fake);
    await s.poll(new AbortController().signal);
    assert.equal(pub.sent(), 3);
    assert.equal(pub.overlapped(), false, 'a transaction was sent while another was open');
    assert.deepEqual(
      pub.committed.map((c) => c.run?.next ?? c.mark),
      [
        { url: 'https://api.example.com/v1/customers?p=2' },
        { url: 'https://api.example.com/v1/customers?p=3' },
        { value: new Date(t0 + (3 * PAGE - 1) * 1000).toISOString(), id: 'c014999' },
      ],
    );
    assert.equal(mark(s)?.id, 'c014999');
  });

  it('a failed transaction fails the poll: the next is never sent and the cursor stays as committed', async () => {
    const pub = publisher(1);
    const s = stream(pub.fake);
    await assert.rejects(s.poll(new AbortController().signal), /transaction 1 aborted/);
    assert.equal(pub.sent(), 1, 'no transaction after the failed one');
    assert.deepEqual(pub.committed, []);
    assert.equal(mark(s), undefined);
    assert.equal((s.status() as { cursor: { resumesAt?: unknown } }).cursor.resumesAt, undefined);
  });

  it('a transaction failing after others committed: the stream keeps the last committed cursor', async () => {
    const pub = publisher(2);
    const s = stream(pub.fake);
    await assert.rejects(s.poll(new AbortController().signal), /transaction 2 aborted/);
    assert.equal(pub.sent(), 2);
    assert.deepEqual((s.status() as { cursor: { resumesAt?: unknown } }).cursor.resumesAt, {
      url: 'https://api.example.com/v1/customers?p=2',
    });
  });
});

describe('PollStream traces', () => {
  const exporter = new InMemorySpanExporter();
  before(() => {
    startTelemetry({
      service: 'spec',
      config: tracingConfigSchema.parse({ samplingRatio: 1 }),
      exporter,
      exportImmediately: true,
      env: {},
    });
  });
  after(() => telemetry().shutdown());

  it('a poll is one trace: a root span, a send span per page, each record carrying its page’s trace context', async () => {
    const pub = publisher();
    await stream(pub.fake).poll(new AbortController().signal);
    for (let i = 0; i < 200 && exporter.getFinishedSpans().length < 4; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'poll customers')!;
    assert.ok(root, spans.map((s) => s.name).join(', '));
    assert.equal(root.attributes['sluice.http_poll.stream'], 'customers');
    const sends = spans.filter((s) => s.name === 'send crm.customers');
    assert.equal(sends.length, 3, 'one per page');
    for (const send of sends) assert.equal(send.parentSpanContext?.spanId, root.spanContext().spanId);
    const traceId = root.spanContext().traceId;
    assert.equal(pub.records.length, 3 * PAGE);
    const parents = new Set(
      pub.records.map((r) => {
        const traceparent = String((r.headers as Record<string, unknown>).traceparent);
        assert.equal(traceparent.split('-')[1], traceId, 'the poll’s trace');
        return traceparent.split('-')[2];
      }),
    );
    assert.deepEqual(parents, new Set(sends.map((s) => s.spanContext().spanId)), 'each page’s send span');
  });
});

describe('PollStream after a poll stopped between pages', () => {
  /** A keyset-paginated API over a list that can change: pages of PAGE after the last (updated_at, id). */
  function keysetApi() {
    const items = new Map<string, { id: string; updated_at: string }>();
    for (let n = 0; n < 3 * PAGE; n++) {
      const id = `c${String(n).padStart(6, '0')}`;
      items.set(id, { id, updated_at: new Date(t0 + n * 1000).toISOString() });
    }
    const sorted = () =>
      [...items.values()].sort((a, b) =>
        a.updated_at === b.updated_at ? (a.id < b.id ? -1 : 1) : a.updated_at < b.updated_at ? -1 : 1,
      );
    let served = 0;
    const api = {
      counters: { requests: 0, retries: 0, rateLimited: 0 },
      async send(req: ApiRequest) {
        const after = req.url.searchParams.get('after');
        const since = Date.parse(req.url.searchParams.get('since') ?? '');
        const all = sorted().filter((i) => Number.isNaN(since) || Date.parse(i.updated_at) >= since);
        const from = after === null ? 0 : all.findIndex((i) => `${i.updated_at}|${i.id}` > after);
        const data = from < 0 ? [] : all.slice(from, from + PAGE);
        served += data.length;
        const last = data.at(-1);
        const next =
          data.length === PAGE && from + PAGE < all.length
            ? `https://api.example.com/v1/customers?after=${encodeURIComponent(`${last!.updated_at}|${last!.id}`)}`
            : null;
        return { notModified: false as const, headers: {}, body: { data, next } };
      },
    } as unknown as ApiClient;
    return { api, items, served: () => served };
  }

  it('starts the stopped poll again from its largest mark: an item changed meanwhile before the stopped page is published, nothing twice', async () => {
    const { api, items, served } = keysetApi();
    const pub = publisher(2); // the second transaction fails: the poll stops after the first page
    const s = stream(pub.fake, api);
    await assert.rejects(s.poll(new AbortController().signal), /transaction 2 aborted/);
    assert.equal(pub.records.length, PAGE, 'the first page committed');
    // While the source is away the API changes c000010: in the second of the first page's last
    // item, so it sorts before the page the stopped poll would go on from.
    items.set('c000010', { id: 'c000010', updated_at: items.get('c004999')!.updated_at });
    const servedBefore = served();
    await s.poll(new AbortController().signal);
    // From c004999's second on: the changed item, c004999 again and the two pages not walked yet.
    assert.equal(served() - servedBefore, 2 * PAGE + 2, 'not the first page again');
    const decode = new ItemRecords(config, '/', new RecordEncoder(new InMemorySchemaRegistry()));
    const published = pub.records.map(
      (r) =>
        `${decode.decodeKey(r.key as Buffer)}@${String((r.headers as Record<string, unknown>)[VERSION_HEADER])}`,
    );
    assert.equal(new Set(published).size, published.length, 'no version twice');
    assert.ok(published.includes(`c000010@${items.get('c004999')!.updated_at}`), 'the changed item');
    assert.equal(published.length, 3 * PAGE + 1, 'every item once, and the change');
    assert.equal(mark(s)?.id, 'c014999');
  });
});

describe('PollStream when items change behind a walk', () => {
  const lookback = parseConfig(sourceHttpPollConnector.configSchema, {
    streams: [{ ...config, cursor: { field: 'updated_at', tieBreaker: 'id', lookbackSeconds: 2 } }],
    kafka: { brokers: ['127.0.0.1:9092'] },
  }).streams[0]!;
  const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

  /** Keyset pages of one item over (updated_at, id), `since` inclusive; `onPage` runs before each later page. */
  function changingApi(onPage: (page: number) => void) {
    const items = new Map<string, { id: string; updated_at: string }>();
    let page = 0;
    const api = {
      counters: { requests: 0, retries: 0, rateLimited: 0 },
      async send(req: ApiRequest) {
        const after = req.url.searchParams.get('after');
        if (after !== null) onPage(++page);
        const since = Date.parse(req.url.searchParams.get('since') ?? '');
        const all = [...items.values()]
          .filter((i) => Number.isNaN(since) || Date.parse(i.updated_at) >= since)
          .sort((a, b) => (`${a.updated_at}|${a.id}` < `${b.updated_at}|${b.id}` ? -1 : 1));
        const from = after === null ? 0 : all.findIndex((i) => `${i.updated_at}|${i.id}` > after);
        const data = from < 0 ? [] : all.slice(from, from + 1);
        const last = data.at(-1);
        const next =
          last && from + 1 < all.length
            ? `https://api.example.com/v1/customers?after=${encodeURIComponent(`${last.updated_at}|${last.id}`)}`
            : null;
        return { notModified: false as const, headers: {}, body: { data, next } };
      },
    } as unknown as ApiClient;
    return { api, items };
  }

  it('a change sorting behind a walk that outlasts the look-back is published by the next poll', async () => {
    const now = Date.now();
    const { api, items } = changingApi((page) => {
      if (page !== 2) return;
      // The walk at (now, m), asking for the page after it: c changes in the same second (behind the walk), and the
      // walk then runs on for longer than the look-back (z, five seconds later).
      items.set('c', { id: 'c', updated_at: iso(now) });
      items.set('z', { id: 'z', updated_at: iso(now + 5_000) });
    });
    items.set('a', { id: 'a', updated_at: iso(now - 60_000) });
    items.set('m', { id: 'm', updated_at: iso(now) });
    items.set('y', { id: 'y', updated_at: iso(now) });
    const pub = publisher();
    const s = new PollStream(lookback, {
      client: api,
      records: new ItemRecords(lookback, '/', new RecordEncoder(new InMemorySchemaRegistry())),
      publisher: pub.fake,
      cursors,
      kafka: {} as Kafka,
      logger: quiet,
      tracing: new MessageTracing('sluice.source-http-poll.spec'),
    });
    await s.poll(new AbortController().signal);
    const decode = new ItemRecords(lookback, '/', new RecordEncoder(new InMemorySchemaRegistry()));
    const keys = () => pub.records.map((r) => decode.decodeKey(r.key as Buffer));
    assert.deepEqual(keys(), ['a', 'm', 'y', 'z'], 'the first walk');
    assert.equal(mark(s)?.id, 'z', 'the mark is the largest published');
    await s.poll(new AbortController().signal);
    assert.deepEqual(keys(), ['a', 'm', 'y', 'z', 'c'], 'the change behind the walk, and nothing twice');
    await s.poll(new AbortController().signal);
    assert.equal(pub.records.length, 5, 'a third poll publishes nothing');
  });
});
