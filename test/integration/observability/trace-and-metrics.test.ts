// One row change through source-postgres, the transformer, sink-postgres and sink-http (child
// processes, tracing at 100%) becomes one trace in a real Jaeger, with spans in causal order (the
// sink-http call as an HTTP client span of the standard instrumentation); a real Prometheus scraping
// the apps returns non-zero values for the key series after the traffic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { type LocalStack } from '@sluice/stack';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { SourceTestBed } from '../source-postgres-harness';
import { writePipeline } from '../transformer/transformer-harness';
import {
  eventually,
  freePort,
  privateStack,
  type RunningApp,
  SINK_HTTP_MAIN,
  SINK_POSTGRES_MAIN,
  SOURCE_MAIN,
  startApp,
  statusOf,
  TRANSFORMER_MAIN,
} from './observability-harness';

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  startTime: number;
  processID: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

describe('observability: one trace per row change, metrics in Prometheus', () => {
  let bed: SourceTestBed;
  let stack: LocalStack;
  const apps: RunningApp[] = [];
  let jaegerUrl = '';
  let prometheusUrl = '';
  let otlpEndpoint = '';
  const group = uniqueName('it.obs.group');
  const sinkGroup = uniqueName('it.obs.sink');
  const httpGroup = uniqueName('it.obs.http');
  let webhook: Server | undefined;
  const delivered: string[] = [];
  let topic = '';
  let sinkTable = '';

  before(async () => {
    bed = await SourceTestBed.open('it_obs');
    topic = `${bed.name}.${bed.name}.orders`;
    sinkTable = `${bed.name}_orders_eu`;
    const [sourcePort, transformerPort, sinkPort, httpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    webhook = createServer((req, res) => {
      delivered.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => webhook!.listen(0, '127.0.0.1', resolve));
    const webhookPort = (webhook.address() as AddressInfo).port;
    stack = privateStack({
      SLUICE_JAEGER_PORT: String(await freePort()),
      SLUICE_JAEGER_OTLP_GRPC_PORT: String(await freePort()),
      SLUICE_JAEGER_OTLP_HTTP_PORT: String(await freePort()),
      SLUICE_PROMETHEUS_PORT: String(await freePort()),
      SLUICE_PROMETHEUS_TARGETS: [sourcePort, transformerPort, sinkPort]
        .map((p) => `127.0.0.1:${p}`)
        .join(','),
      SLUICE_STACK_TIMEOUT: '60',
    });
    const outcomes = await stack.up(['jaeger', 'prometheus']);
    assert.equal(outcomes.jaeger, 'started', 'a private Jaeger started');
    assert.equal(outcomes.prometheus, 'started', 'a private Prometheus started');
    jaegerUrl = stack.parts.jaeger.address;
    prometheusUrl = stack.parts.prometheus.address;
    otlpEndpoint = `http://127.0.0.1:${stack.layout.jaeger.otlpHttpPort}`;

    await bed.sql(
      `CREATE TABLE ${bed.name}.orders (id int PRIMARY KEY, region text NOT NULL, email text, total int)`,
    );
    const kafka = createKafkaClient(
      kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs' }),
    );
    const admin = kafka.admin();
    await admin.connect();
    await new TopicProvisioner(admin).provision([
      { name: topic, partitions: 3, replicationFactor: 1 },
      { name: `${topic}.eu`, partitions: 3, replicationFactor: 1 },
    ]);
    await admin.disconnect();

    const tracing = { endpoint: otlpEndpoint, samplingRatio: 1 };
    const source = startApp(SOURCE_MAIN, {
      ...bed.config({ http: { host: '127.0.0.1', port: sourcePort }, logging: { level: 'warn' } }),
      tracing,
    });
    apps.push(source);
    await eventually('source ready', async () =>
      (await statusOf(`http://127.0.0.1:${sourcePort}/health/ready`)) === 200 ? true : undefined,
    );
    const pipeline = writePipeline({
      name: bed.name.replace(/_/g, '-'),
      input: topic,
      group,
      eu: `${topic}.eu`,
      na: `${topic}.na`,
      other: `${topic}.other`,
    });
    const transformer = startApp(TRANSFORMER_MAIN, {
      pipeline,
      kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs-transformer', logLevel: 'nothing' },
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: transformerPort },
      logging: { level: 'warn' },
      runtime: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      tracing,
    });
    apps.push(transformer);
    await eventually('transformer ready', async () =>
      (await statusOf(`http://127.0.0.1:${transformerPort}/health/ready`)) === 200 ? true : undefined,
    );
    const sink = startApp(SINK_POSTGRES_MAIN, {
      group: sinkGroup,
      topics: [`${topic}.eu`],
      target: { ...stackAddresses().postgres, database: 'sink', schema: 'public' },
      tables: { [`${topic}.eu`]: { table: `public.${sinkTable}` } },
      kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs-sink', logLevel: 'nothing' },
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: sinkPort },
      logging: { level: 'warn' },
      runtime: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      tracing,
    });
    apps.push(sink);
    await eventually('sink-postgres ready', async () =>
      (await statusOf(`http://127.0.0.1:${sinkPort}/health/ready`)) === 200 ? true : undefined,
    );
    const sinkHttp = startApp(SINK_HTTP_MAIN, {
      group: httpGroup,
      topics: [`${topic}.eu`],
      keyFormat: 'avro',
      valueFormat: 'avro',
      destinations: [
        {
          name: 'orders-webhook',
          url: `http://127.0.0.1:${webhookPort}/orders/{{ $key.id }}`,
          method: 'POST',
          body: { region: '{{ region }}' },
        },
      ],
      kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'it-obs-http', logLevel: 'nothing' },
      registry: { url: stackAddresses().registryUrl },
      http: { host: '127.0.0.1', port: httpPort },
      logging: { level: 'warn' },
      runtime: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      tracing,
    });
    apps.push(sinkHttp);
    await eventually('sink-http ready', async () =>
      (await statusOf(`http://127.0.0.1:${httpPort}/health/ready`)) === 200 ? true : undefined,
    );
  });

  after(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await new Promise((resolve) => (webhook ? webhook.close(resolve) : resolve(undefined)));
    const sinkDb = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await sinkDb.connect().then(
      () => sinkDb.query(`DROP TABLE IF EXISTS public.${sinkTable}`).finally(() => sinkDb.end()),
      () => undefined,
    );
    await bed?.cleanup();
    await stack?.down();
  });

  it('one row change is one trace: source → transformer → sink-postgres (write) and sink-http (HTTP call)', async () => {
    const client = await bed.client();
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${bed.name}.orders VALUES (1, 'eu', 'a@example.com', 10)`);
    const [{ xid }] = (await client.query<{ xid: string }>('SELECT txid_current()::text AS xid')).rows as [
      { xid: string },
    ];
    await client.query('COMMIT');
    await client.end();

    const tags = encodeURIComponent(JSON.stringify({ 'sluice.postgres.tx_id': xid }));
    const traces = await eventually(
      'the trace in Jaeger with the sink write span',
      async () => {
        const res = await fetch(
          `${jaegerUrl}/api/traces?service=source-postgres&tags=${tags}&lookback=1h&limit=20`,
        );
        const body = (await res.json()) as { data: JaegerTrace[] | null };
        const found = body.data ?? [];
        const complete = found.some(
          (t) =>
            t.spans.some((s) => s.operationName === 'write sink') &&
            t.spans.some(
              (s) =>
                t.processes[s.processID]?.serviceName === 'sink-http' &&
                s.tags.some((tag) => tag.key === 'http.request.method'),
            ),
        );
        return complete ? found : undefined;
      },
      60_000,
    );
    assert.equal(traces.length, 1, 'one trace for the transaction');
    const [trace] = traces as [JaegerTrace];
    const service = (span: JaegerSpan) => trace.processes[span.processID]!.serviceName;
    const named = (name: string) => {
      const span = trace.spans.find((s) => s.operationName === name);
      assert.ok(span, `${name} in ${trace.spans.map((s) => `${service(s)}:${s.operationName}`).join(', ')}`);
      return span;
    };
    const capture = named(`capture source`);
    const send = named(`send ${topic}`);
    const process = named(`process ${topic}`);
    const sink = trace.spans.find(
      (s) => s.operationName === `process ${topic}.eu` && service(s) === 'sink-postgres',
    )!;
    assert.ok(sink, 'a sink-postgres consumer span');
    assert.equal(service(capture), 'source-postgres');
    assert.equal(service(send), 'source-postgres');
    assert.equal(service(process), 'transformer');
    assert.equal(service(sink), 'sink-postgres');
    const parent = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
    const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
    assert.equal(parent(capture), undefined, 'the capture span is the root');
    assert.equal(tag(capture, 'db.system.name'), 'postgresql');
    assert.match(
      String(tag(capture, 'sluice.postgres.lsn')),
      /^[0-9A-F]+\/[0-9A-F]+$/,
      'the capture span has its LSN',
    );
    assert.equal(parent(send), capture.spanID, 'send is a child of capture');
    assert.equal(parent(process), send.spanID, "the transformer's span is a child of the source's send");
    assert.equal(parent(sink), process.spanID, "the sink's span is a child of the transformer's");
    const write = named('write sink');
    assert.equal(service(write), 'sink-postgres');
    assert.equal(parent(write), sink.spanID, 'the trace ends with the database write of the record');
    assert.equal(tag(write, 'db.system.name'), 'postgresql');
    // sink-http: its consumer span under the transformer's, the webhook call an HTTP client span of
    // the undici instrumentation under it.
    const httpProcess = trace.spans.find(
      (s) => s.operationName === `process ${topic}.eu` && service(s) === 'sink-http',
    );
    assert.ok(httpProcess, 'a sink-http consumer span');
    assert.equal(parent(httpProcess), process.spanID);
    const call = trace.spans.find(
      (s) => service(s) === 'sink-http' && tag(s, 'http.request.method') === 'POST',
    );
    assert.ok(call, 'an HTTP client span of sink-http');
    assert.match(String(tag(call, 'url.full')), /\/orders\/1$/);
    assert.equal(parent(call), httpProcess.spanID, 'the call is made in the record span');
    assert.deepEqual(delivered, ['/orders/1']);
    assert.ok(
      capture.startTime <= send.startTime &&
        send.startTime <= process.startTime &&
        process.startTime <= sink.startTime,
      'causal order',
    );
    assert.equal(tag(sink, 'messaging.consumer.group.name'), sinkGroup);
    assert.equal(tag(sink, 'sluice.record.outcome'), 'processed');
    // And the row is in the sink's table.
    const sinkDb = new Client({ ...stackAddresses().postgres, database: 'sink' });
    await sinkDb.connect();
    const rows = await eventually('the row in the sink table', async () => {
      const { rows } = await sinkDb.query(`SELECT id FROM public.${sinkTable}`).catch(() => ({ rows: [] }));
      return rows.length > 0 ? rows : undefined;
    });
    await sinkDb.end();
    assert.deepEqual(rows, [{ id: 1 }]);
    assert.equal(tag(process, 'messaging.system'), 'kafka');
    assert.equal(tag(process, 'messaging.destination.name'), topic);
    assert.equal(tag(process, 'messaging.consumer.group.name'), group);
    assert.equal(tag(process, 'sluice.record.outcome'), 'processed');
  });

  it('Prometheus scraping the apps has non-zero key series after traffic', async () => {
    const client = await bed.client();
    for (let i = 2; i <= 21; i++)
      await client.query(`INSERT INTO ${bed.name}.orders VALUES ($1, $2, 'x@example.com', $1)`, [
        i,
        i % 2 ? 'eu' : 'us',
      ]);
    await client.end();
    const query = async (promql: string) => {
      const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    const source = bed.name;
    const series = [
      `sum(sluice_source_events_total{source="${source}"})`,
      `sum(sluice_stream_records_total{group="${group}",outcome="processed"})`,
      `sum(sluice_stream_output_records_total{group="${group}"})`,
      `sum(sluice_end_to_end_latency_seconds_count{group="${group}"})`,
      `sum(sluice_end_to_end_latency_seconds_count{group="${sinkGroup}"})`,
      `sum(sluice_stream_records_total{group="${sinkGroup}",outcome="processed"})`,
      `sum(sluice_stream_record_duration_seconds_count{group="${group}"})`,
      `sum(sluice_stream_assigned_partitions{group="${group}"})`,
      `sum(sluice_stream_group_member{group="${group}"})`,
      `sum(sluice_source_phase{source="${source}",phase="streaming"})`,
      `sum(sluice_schema_cache_lookups_total{result="hit"})`,
      `sum(process_resident_memory_bytes)`,
    ];
    for (const promql of series) {
      await eventually(
        `${promql} > 0 in Prometheus`,
        async () => ((await query(promql))[0] ?? 0) > 0 || undefined,
        60_000,
      );
    }
    // The slot lag and the consumer lag exist (their value may well be 0 once caught up).
    assert.equal((await query(`sluice_replication_slot_lag_bytes{source="${source}"}`)).length, 1);
    assert.ok((await query(`sluice_consumer_lag_records{group="${group}"}`)).length >= 1);
    const targets = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
      data: { activeTargets: Array<{ health: string }> };
    };
    assert.ok(
      targets.data.activeTargets.every((t) => t.health === 'up'),
      'both apps scraped',
    );
  });
});
