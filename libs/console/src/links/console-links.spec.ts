import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleLinkBuilder, nonCdcSource } from './console-links';

const builder = new ConsoleLinkBuilder({ jaeger: 'http://jaeger:16686/', prometheus: 'http://prom:9090' });
const params = (url: string | undefined) => new URL(url!).searchParams;

describe('console links', () => {
  it("a consumer's traces: its app's service and its group as a span tag", () => {
    const links = builder.connector({
      name: 'demo-orders',
      type: 'sink',
      service: 'sink-http',
      groups: ['demo-sink-http'],
    });
    assert.match(links.traces!, /^http:\/\/jaeger:16686\/search\?/);
    assert.equal(params(links.traces).get('service'), 'sink-http');
    assert.deepEqual(JSON.parse(params(links.traces).get('tags')!), {
      'messaging.consumer.group.name': 'demo-sink-http',
    });
    assert.equal(
      params(links.metrics).get('g0.expr'),
      'sum by (group, topic) (rate(sluice_stream_records_total{group=~"demo-sink-http"}[1m]))',
    );
  });

  it("a transformer without a configured service traces as `transformer`; a source's metrics by source", () => {
    assert.equal(
      params(builder.connector({ name: 'p', type: 'transform', groups: [] }).traces).get('service'),
      'transformer',
    );
    const source = builder.connector({ name: 'demo', type: 'source', groups: [] });
    assert.equal(params(source.traces).get('service'), null);
    assert.equal(
      params(source.metrics).get('g0.expr'),
      'sum by (source) (rate(sluice_source_events_total{source="demo"}[1m]))',
    );
  });

  it("a webhook or polling source's metrics are its own series, by its endpoints or streams from /status", () => {
    const webhook = nonCdcSource({ endpoints: [{ name: 'stripe', topic: 'stripe.events' }, { name: 'gh' }] });
    assert.deepEqual(webhook, { kind: 'webhook', endpoints: ['stripe', 'gh'] });
    assert.equal(
      params(builder.connector({ name: 'hooks', type: 'source', groups: [], source: webhook }).metrics).get(
        'g0.expr',
      ),
      'sum by (endpoint) (rate(sluice_webhook_requests_total{endpoint=~"stripe|gh",outcome="accepted"}[1m]))',
    );
    const poll = nonCdcSource({ streams: [{ name: 'customers', topic: 'crm.customers' }] });
    assert.equal(
      params(builder.connector({ name: 'crm', type: 'source', groups: [], source: poll! }).metrics).get(
        'g0.expr',
      ),
      'sum by (stream) (rate(sluice_http_poll_items_total{stream=~"customers",outcome="published"}[1m]))',
    );
    // source-postgres's /status has neither: its change events by source.
    assert.equal(nonCdcSource({ slot: { name: 'sluice' }, tables: [] }), undefined);
    assert.equal(nonCdcSource(undefined), undefined);
  });

  it('group names are matched literally (regex characters escaped), a record links to its trace', () => {
    const links = builder.connector({ name: 'x', type: 'sink', groups: ['a.b', 'c+d'] });
    assert.match(params(links.metrics).get('g0.expr')!, /group=~"a\\\\\.b\|c\\\\\+d"/);
    assert.equal(params(links.traces).get('tags'), null);
    assert.equal(
      builder.trace('0af7651916cd43dd8448eb211c80319c'),
      'http://jaeger:16686/trace/0af7651916cd43dd8448eb211c80319c',
    );
  });

  it('no links without Jaeger or Prometheus', () => {
    const none = new ConsoleLinkBuilder({});
    assert.deepEqual(none.connector({ name: 'x', type: 'sink', groups: ['g'] }), {});
    assert.deepEqual(none.global(), {});
    assert.equal(none.trace('0af7651916cd43dd8448eb211c80319c'), undefined);
  });
});
