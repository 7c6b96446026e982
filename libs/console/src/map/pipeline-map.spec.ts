import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppClient, AppRequestError, type ManagementAction } from '../fleet/app-client';
import { FleetReader, UnknownConnectorError } from '../fleet/fleet-reader';
import { type ConnectorNode, pipelineMap, type TopicNode } from './pipeline-map';

/** An app as the console sees it over HTTP: its connectors, /status and /metrics, settable per read. */
class FakeApp {
  metricsText = '';
  down = false;
  actions: Array<[string, ManagementAction]> = [];
  constructor(
    readonly url: string,
    readonly name: string,
    readonly type: 'source' | 'transform' | 'sink',
    readonly statusBody: Record<string, unknown> = {},
  ) {}
  async status() {
    this.check();
    return this.statusBody;
  }
  private check() {
    if (this.down) throw new AppRequestError(`GET ${this.url}/connectors: no answer (ECONNREFUSED)`, 0);
  }
  async connectors() {
    this.check();
    return [{ name: this.name, type: this.type, state: 'RUNNING' }];
  }
  async connectorStatus(name: string) {
    this.check();
    return { name, type: this.type, state: 'RUNNING', workerId: 'w:1', partitions: [] };
  }
  async connectorOffsets(name: string) {
    this.check();
    return { name, partitions: [] };
  }
  async metrics() {
    this.check();
    return this.metricsText;
  }
  async act(name: string, action: ManagementAction) {
    this.actions.push([name, action]);
    return { name, type: this.type, state: 'PAUSED', workerId: 'w:1', partitions: [] };
  }
  asClient(): AppClient {
    return this as unknown as AppClient;
  }
}

const consumed = (group: string, topic: string, n: number) =>
  `sluice_stream_records_total{group="${group}",topic="${topic}",outcome="processed"} ${n}\n`;
const produced = (group: string, topic: string, n: number) =>
  `sluice_stream_output_records_total{group="${group}",topic="${topic}"} ${n}\n`;
const lag = (group: string, topic: string, p: number, n: number) =>
  `sluice_consumer_lag_records{group="${group}",topic="${topic}",partition="${p}"} ${n}\n`;

function fleet() {
  const source = new FakeApp('http://s:8101', 'orders-source', 'source', { topics: ['db.public.orders'] });
  const transformer = new FakeApp('http://t:8102', 'orders-pipeline', 'transform');
  const sink = new FakeApp('http://k:8103', 'replica', 'sink');
  source.metricsText = 'sluice_source_events_total{source="orders-source"} 100\n';
  transformer.metricsText =
    consumed('tr', 'db.public.orders', 90) +
    `sluice_stream_records_total{group="tr",topic="db.public.orders",outcome="dead-lettered"} 2\n` +
    produced('tr', 'orders.clean', 88) +
    lag('tr', 'db.public.orders', 0, 3) +
    lag('tr', 'db.public.orders', 1, 4) +
    `sluice_dlq_records_total{group="tr",topic="db.public.orders",reason="failed"} 2\n`;
  sink.metricsText =
    consumed('sink', 'orders.clean', 80) +
    lag('sink', 'orders.clean', 0, 8) +
    'sluice_end_to_end_latency_seconds_bucket{le="0.1"} 50\n' +
    'sluice_end_to_end_latency_seconds_bucket{le="1"} 100\n' +
    'sluice_end_to_end_latency_seconds_bucket{le="+Inf"} 100\n';
  const reader = new FleetReader(
    [],
    [source, transformer, sink].map((a) => a.asClient()),
  );
  return { source, transformer, sink, reader };
}

describe('pipeline map from the apps', () => {
  it('sources → topics → transformers → topics → sinks, in columns, with figures', async () => {
    const { reader } = fleet();
    const map = pipelineMap(await reader.read(1_000));
    const connector = (name: string) => map.nodes.find((n) => n.name === name) as ConnectorNode;
    const topic = (name: string) => map.nodes.find((n) => n.kind === 'topic' && n.name === name) as TopicNode;
    assert.deepEqual(
      [
        connector('orders-source'),
        topic('db.public.orders'),
        connector('orders-pipeline'),
        topic('orders.clean'),
        connector('replica'),
      ].map((n) => n.column),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(map.edges.map((e) => `${e.from} > ${e.to}`).sort(), [
      'connector:http://s:8101/orders-source > topic:db.public.orders',
      'connector:http://t:8102/orders-pipeline > topic:orders.clean',
      'topic:db.public.orders > connector:http://t:8102/orders-pipeline',
      'topic:orders.clean > connector:http://k:8103/replica',
    ]);
    const t = connector('orders-pipeline');
    assert.equal(t.total, 92);
    assert.equal(t.lag, 7);
    assert.equal(t.deadLettered, 2);
    assert.deepEqual(t.groups, ['tr']);
    assert.equal(t.rate, undefined, 'no rate before a second read');
    assert.equal(connector('orders-source').lag, undefined);
    const p50 = connector('replica').latency.p50!;
    assert.ok(p50 > 0.09 && p50 <= 0.1, String(p50));
  });

  it('rates from the totals of consecutive reads', async () => {
    const { reader, transformer, source } = fleet();
    await reader.read(1_000);
    transformer.metricsText = transformer.metricsText.replace(
      'outcome="processed"} 90',
      'outcome="processed"} 130',
    );
    source.metricsText = 'sluice_source_events_total{source="orders-source"} 150\n';
    const map = pipelineMap(await reader.read(3_000));
    const rate = (name: string) => (map.nodes.find((n) => n.name === name) as ConnectorNode).rate;
    assert.equal(rate('orders-pipeline'), 20);
    assert.equal(rate('orders-source'), 25);
    assert.equal(rate('replica'), 0);
  });

  it('an app that does not answer stays on the map as UNREACHABLE, saying why', async () => {
    const { reader, sink } = fleet();
    sink.down = true;
    const reading = await reader.read(1_000);
    const app = reading.apps.find((a) => a.url === 'http://k:8103')!;
    assert.equal(app.answering, false);
    assert.match(app.error!, /no answer \(ECONNREFUSED\)/);
    const node = pipelineMap(reading).nodes.find(
      (n) => n.kind === 'connector' && n.app === 'http://k:8103',
    ) as ConnectorNode;
    assert.equal(node.state, 'UNREACHABLE');
    assert.match(node.lastError!, /ECONNREFUSED/);
  });

  it('acts on the app that has the connector, and refuses a name no app has', async () => {
    const { reader, transformer, sink } = fleet();
    await reader.read();
    assert.equal((await reader.act('orders-pipeline', 'pause')).state, 'PAUSED');
    assert.deepEqual(transformer.actions, [['orders-pipeline', 'pause']]);
    assert.deepEqual(sink.actions, []);
    await assert.rejects(
      reader.act('nope', 'resume'),
      (e: unknown) => e instanceof UnknownConnectorError && /nope/.test(e.message),
    );
  });

  it('a source that names no topic gets the topics nobody reports writing, as inferred edges', async () => {
    const source = new FakeApp('http://s:8101', 'cdc', 'source', { slot: 'sluice' });
    const sink = new FakeApp('http://k:8103', 'replica', 'sink');
    source.metricsText = 'sluice_source_events_total{source="cdc"} 5\n';
    sink.metricsText = consumed('sink', 'db.public.a', 1) + consumed('sink', 'db.public.b', 1);
    const map = pipelineMap(await new FleetReader([], [source.asClient(), sink.asClient()]).read());
    const inferred = map.edges.filter((e) => e.inferred).map((e) => e.to);
    assert.deepEqual(inferred.sort(), ['topic:db.public.a', 'topic:db.public.b']);
    assert.deepEqual(
      map.nodes.map((n) => [n.name, n.column]),
      [
        ['cdc', 0],
        ['replica', 2],
        ['db.public.a', 1],
        ['db.public.b', 1],
      ],
    );
  });

  it('two-way sync (a cycle) still gets columns', async () => {
    const a = new FakeApp('http://a:1', 'a', 'transform');
    const b = new FakeApp('http://b:1', 'b', 'transform');
    a.metricsText = consumed('ga', 'x', 1) + produced('ga', 'y', 1);
    b.metricsText = consumed('gb', 'y', 1) + produced('gb', 'x', 1);
    const map = pipelineMap(await new FleetReader([], [a.asClient(), b.asClient()]).read());
    assert.equal(map.nodes.length, 4);
    assert.ok(map.nodes.every((n) => Number.isFinite(n.column)));
  });
});
