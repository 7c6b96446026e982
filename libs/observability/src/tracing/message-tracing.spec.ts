import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MessageTracing, traceContextHeaders, withTraceContext } from './message-tracing';
import { startTelemetry, telemetry, tracingActive } from './telemetry';
import { tracingConfigSchema } from './tracing-config';

const exporter = new InMemorySpanExporter();
const tracing = new MessageTracing('spec');
const header = (key: string, value: string) => ({ key, value: Buffer.from(value) });

/** Spans reach the exporter once the resource's detectors settled (asynchronously). */
async function finishedSpans(count: number) {
  for (let i = 0; i < 200 && exporter.getFinishedSpans().length < count; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return exporter.getFinishedSpans();
}

/** The span of a record whose header is `traceparent` (ended at once; sampling is 1 here). */
async function spanOf(traceparent: string | Buffer) {
  exporter.reset();
  const record = { topic: 't', partition: 0, offset: 3n, key: null, value: null };
  const value = typeof traceparent === 'string' ? Buffer.from(traceparent) : traceparent;
  tracing.process({ ...record, headers: [{ key: 'traceparent', value }] }, 'g').end();
  const [only] = await finishedSpans(1);
  assert.ok(only, `a span for ${value.toString('latin1')}`);
  return only;
}

describe('MessageTracing', () => {
  before(() => {
    startTelemetry({
      service: 'spec',
      config: tracingConfigSchema.parse({ samplingRatio: 1 }),
      exporter,
      exportImmediately: true,
      env: {},
    });
  });
  after(async () => {
    await telemetry().shutdown();
  });

  it('continues the trace of a record header as a consumer span with messaging attributes', async () => {
    assert.ok(tracingActive());
    const root = tracing.root('capture source', () => ({ 'sluice.lsn': '0/16B3748' }));
    const send = tracing.send(root, 'cdc.public.orders');
    const headers = Object.entries(traceContextHeaders(send)).map(([k, v]) => header(k, v));
    send.end();
    root.end();
    const span = tracing.process(
      { topic: 'cdc.public.orders', partition: 2, offset: 41n, key: Buffer.from('k'), value: null, headers },
      'g1',
    );
    const downstream = withTraceContext([header('traceparent', '00-old-old-01'), header('x', 'y')], span);
    span.end();

    const spans = await finishedSpans(3);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const consumer = byName.get('process cdc.public.orders')!;
    const producer = byName.get('send cdc.public.orders')!;
    const capture = byName.get('capture source')!;
    assert.equal(consumer.spanContext().traceId, capture.spanContext().traceId, 'one trace');
    assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId, 'child of the send');
    assert.equal(producer.parentSpanContext?.spanId, capture.spanContext().spanId);
    assert.equal(capture.attributes['sluice.lsn'], '0/16B3748', 'a sampled root has its attributes');
    assert.deepEqual(
      {
        system: consumer.attributes['messaging.system'],
        dest: consumer.attributes['messaging.destination.name'],
        partition: consumer.attributes['messaging.destination.partition.id'],
        offset: consumer.attributes['messaging.kafka.offset'],
        group: consumer.attributes['messaging.consumer.group.name'],
        tombstone: consumer.attributes['messaging.kafka.message.tombstone'],
        key: consumer.attributes['messaging.kafka.message.key'],
      },
      {
        system: 'kafka',
        dest: 'cdc.public.orders',
        partition: '2',
        offset: 41,
        group: 'g1',
        tombstone: true,
        key: undefined,
      },
    );
    // The output carries the consumer span's context instead of the passed-through one.
    assert.deepEqual(
      downstream.map((h) => h.key),
      ['x', 'traceparent'],
    );
    const traceparent = downstream[1]!.value!.toString();
    assert.equal(traceparent, `00-${consumer.spanContext().traceId}-${consumer.spanContext().spanId}-01`);
  });

  it('starts a new trace for a record without context', async () => {
    exporter.reset();
    const span = tracing.process(
      { topic: 't', partition: 0, offset: 0n, key: null, value: Buffer.from('v'), headers: [] },
      'g',
    );
    span.end();
    const [only] = await finishedSpans(1);
    assert.equal(only!.parentSpanContext, undefined);
  });

  it('follows an unsampled parent without a span: outputs carry the same context on', async () => {
    exporter.reset();
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const span = tracing.process(
      {
        topic: 't',
        partition: 0,
        offset: 1n,
        key: null,
        value: Buffer.from('v'),
        headers: [header('traceparent', parent)],
      },
      'g',
    );
    const out = withTraceContext([header('traceparent', parent)], span);
    span.end();
    assert.deepEqual(
      out.map((h) => [h.key, h.value!.toString()]),
      [['traceparent', parent]],
    );
    assert.equal(span.sampled, false);
    // Made when asked for (an HTTP call traced under the record): the parent's, unsampled.
    const followed = trace.getSpanContext(span.context)!;
    assert.equal(followed.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(followed.spanId, 'b7ad6b7169203331');
    assert.equal(followed.traceFlags, TraceFlags.NONE);
    assert.equal(followed.isRemote, true);
    const withState = tracing.process(
      {
        topic: 't',
        partition: 0,
        offset: 3n,
        key: null,
        value: null,
        headers: [header('traceparent', parent), header('tracestate', 'vendor=x')],
      },
      'g',
    );
    assert.deepEqual(
      withState.headers().map((h) => [h.key, h.value!.toString()]),
      [
        ['traceparent', parent],
        ['tracestate', 'vendor=x'],
      ],
    );
    assert.equal(trace.getSpanContext(withState.context)!.traceState?.get('vendor'), 'x');
    const sampled = tracing.process(
      { topic: 't', partition: 0, offset: 2n, key: null, value: null, headers: [] },
      'g',
    );
    sampled.end();
    const spans = await finishedSpans(1);
    assert.equal(spans.length, 1, 'only the sampled record made a span');
  });

  it('follows a parent whose ids have a single non-zero digit (valid, however unlikely)', async () => {
    for (const parent of [
      '00-00000000000000000000000000000001-1000000000000000-01',
      '00-10000000000000000000000000000000-0000000000000001-01',
    ]) {
      const only = await spanOf(parent);
      const [, traceId, spanId] = parent.split('-');
      assert.equal(only.spanContext().traceId, traceId, parent);
      assert.equal(only.parentSpanContext?.spanId, spanId, parent);
    }
  });

  it('ignores a malformed or invalid traceparent: the record starts a new trace', async () => {
    const bad = [
      '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', // upper case
      '00-00000000000000000000000000000000-b7ad6b7169203331-01', // invalid trace id
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', // invalid span id
      // Not followed as unsampled either: checked as a whole before its flags are read.
      '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-00',
      '00-00000000000000000000000000000000-b7ad6b7169203331-00',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-00',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1', // short
      'zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-00', // a non-hex digit, last of the trace id
      '00-0af7651916cd43dd8448eb211c80319c-g7ad6b7169203331-00', // first of the span id
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-g0', // first of the flags
      '00-:af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', // ':' follows '9', first of the trace id
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333`-00', // '`' precedes 'a'
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692/3331-00', // '/' precedes '0'
      '00-0af7651916cd43dd8448eb211c80319cxb7ad6b7169203331-00', // no dash between the ids
    ];
    // A byte past ASCII in an id (header() would encode a non-ASCII string longer).
    const high = Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', 'latin1');
    high[10] = 0xff;
    for (const value of [...bad, high]) {
      const only = await spanOf(value);
      assert.equal(only.parentSpanContext, undefined, value.toString('latin1'));
    }
  });
});
