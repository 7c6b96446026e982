import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleLinkBuilder } from './console-links';

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
