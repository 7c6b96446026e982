import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { assertConfigError } from '@sluice/test-support';
import { InMemorySchemaRegistry, RecordEncoder } from '@sluice/schema';
import { ItemRecords } from '../polling/item-records';
import { PollFailedError } from '../polling/poll-errors';
import { sourceHttpPollConnector } from './source-http-poll-connector';

const stream = (extra: Record<string, unknown> = {}) => ({
  name: 'customers',
  topic: 'crm.customers',
  request: { url: 'https://api.example.com/v1/customers', query: { since: '{{ cursor.since }}' } },
  items: 'data',
  key: 'id',
  cursor: { field: 'updated_at', tieBreaker: 'id' },
  pagination: { type: 'next-link', path: 'next' },
  ...extra,
});
const config = (streams: unknown[], extra: Record<string, unknown> = {}) => ({
  streams,
  kafka: { brokers: ['127.0.0.1:9092'] },
  ...extra,
});
const parse = (raw: unknown) => parseConfig(sourceHttpPollConnector.configSchema, raw);

describe('source-http-poll settings', () => {
  it('a valid configuration parses, with its defaults', () => {
    const parsed = parse(config([stream()]));
    assert.equal(parsed.name, 'source-http-poll');
    assert.equal(parsed.http.port, 8106);
    assert.equal(parsed.offsets.topic, undefined, 'the source’s own: <name>.offsets');
    const s = parsed.streams[0]!;
    assert.equal(s.request.method, 'GET');
    assert.equal(s.schedule.intervalMs, 60_000);
    assert.equal(s.cursor.lookbackSeconds, 0);
    assert.equal(parsed.requests.retries, 5);
  });

  it('no stream, or two with one name', () => {
    assertConfigError(() => parse(config([])), 'streams', /at least one stream/);
    assertConfigError(() => parse(config([stream(), stream()])), 'streams', /stream names must be unique/);
  });

  it('a request template or an expression that does not parse', () => {
    assertConfigError(
      () => parse(config([stream({ request: { url: 'https://x.example/{{ cursor. }}' } })])),
      'streams[0].request.url',
      /invalid template/,
    );
    assertConfigError(
      () =>
        parse(config([stream({ request: { url: 'https://x.example', query: { since: '{{ (cursor }}' } } })])),
      'streams[0].request.query.since',
      /invalid template/,
    );
    assertConfigError(() => parse(config([stream({ key: 'id +' })])), 'streams[0].key', /invalid expression/);
    assertConfigError(
      () => parse(config([stream({ cursor: { field: 'updated_at(' } })])),
      'streams[0].cursor.field',
      /invalid expression/,
    );
  });

  it('an items path, a pagination or an auth that is not one', () => {
    assertConfigError(
      () => parse(config([stream({ items: 'data..records' })])),
      'streams[0].items',
      /dotted path/,
    );
    assertConfigError(
      () => parse(config([stream({ pagination: { type: 'scroll' } })])),
      'streams[0].pagination.type',
      /./,
    );
    assertConfigError(
      () => parse(config([stream({ pagination: { type: 'next-link' } })])),
      'streams[0].pagination.path',
      /./,
    );
    assertConfigError(
      () => parse(config([stream({ auth: { type: 'oauth2', clientId: 'a', clientSecret: 'b' } })])),
      'streams[0].auth.tokenUrl',
      /./,
    );
  });

  it('an unknown key, in a stream and at the top; a bad topic; a zero rate', () => {
    assertConfigError(() => parse(config([stream({ secret: 'x' })])), 'streams[0]', /secret/);
    assertConfigError(() => parse({ ...config([stream()]), stream: [] }), '(root)', /stream/);
    assertConfigError(
      () => parse(config([stream({ topic: 'a topic' })])),
      'streams[0].topic',
      /Kafka topic name/,
    );
    assertConfigError(
      () => parse(config([stream({ rateLimit: { perSecond: 0 } })])),
      'streams[0].rateLimit.perSecond',
      /above 0/,
    );
  });

  it('a schema file that cannot be read is a ConfigError naming the stream, found when the app is created', () => {
    const s = parse(config([stream({ schema: { file: 'missing.avsc' } })])).streams[0]!;
    assert.throws(
      () => new ItemRecords(s, '/nonexistent', new RecordEncoder(new InMemorySchemaRegistry())),
      (error: unknown) =>
        error instanceof ConfigError && /^streams\[customers\]\.schema\.file: /.test(error.message),
    );
  });
});

describe('source-http-poll items', () => {
  const records = (extra: Record<string, unknown>) =>
    new ItemRecords(
      parse(config([stream(extra)])).streams[0]!,
      '/',
      new RecordEncoder(new InMemorySchemaRegistry()),
    );

  it('an item whose key expression fails, or that has no key or cursor field, is a poll error naming the item', () => {
    const failing = records({ key: 'lower(id)' });
    assert.throws(
      () => failing.listed({ id: 7, updated_at: '2025-01-01T00:00:00Z' }, 3),
      (error: unknown) =>
        error instanceof PollFailedError && /item 3: expression `lower\(id\)`/.test(error.message),
    );
    const plain = records({});
    assert.throws(() => plain.listed({ updated_at: '2025-01-01T00:00:00Z' }, 0), /item 0 has no usable key/);
    assert.throws(() => plain.listed({ id: 'x', updated_at: 'soon' }, 1), /no usable cursor field/);
    assert.deepEqual(plain.listed({ id: 7, updated_at: '2025-01-01T00:00:00Z' }, 2).key, '7');
  });
});
