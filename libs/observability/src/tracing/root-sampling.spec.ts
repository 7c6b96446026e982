import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MessageTracing } from './message-tracing';
import { startTelemetry } from './telemetry';
import { tracingConfigSchema } from './tracing-config';

/** Keeps its spans past the SDK's shutdown (which flushes the exports still pending). */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

// Its own file: the SDK registers its provider once per process.
describe('new traces under the ratio sampler', () => {
  it('makes a span only for the sampled ones, on the trace id their context carries', async () => {
    const exporter = new KeptSpans();
    const telemetry = startTelemetry({
      service: 's',
      config: tracingConfigSchema.parse({ samplingRatio: 0.5 }),
      env: {},
      exporter,
      exportImmediately: true,
    });
    const tracing = new MessageTracing('root-sampling-spec');
    // The SDK keeps one tracer per name: the one MessageTracing holds.
    const startSpan = mock.method(trace.getTracer('root-sampling-spec'), 'startSpan');
    const sampledTraceIds = new Set<string>();
    let unsampled = 0;
    let sendSpans = 0;
    const roots = 400;
    for (let i = 0; i < roots; i++) {
      const span =
        i % 2 === 0
          ? tracing.root('capture source', () => ({}))
          : tracing.process(
              { topic: 't', partition: 0, offset: BigInt(i), key: null, value: null, headers: [] },
              'g',
            );
      const traceparent = span.headerValues().traceparent!;
      const [, traceId, spanId, flags] = traceparent.split('-');
      assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      assert.notEqual(traceId, '0'.repeat(32));
      assert.notEqual(spanId, '0'.repeat(16));
      assert.equal(span.sampled, flags === '01');
      if (span.sampled) sampledTraceIds.add(traceId!);
      else unsampled++;
      // A record sent under it: a producer span when sampled, else the root's own context.
      const send = tracing.send(span, 'out');
      if (span.sampled) sendSpans++;
      else assert.equal(send, span, 'an unsampled trace sends under its own context, no span');
      send.end();
      span.end();
    }
    // Spans export once the resource's detected attributes settle, which a loaded machine delays
    // past the shutdown's bounded flush: wait for them (or for the time limit) first.
    const deadline = Date.now() + 20_000;
    while (exporter.getFinishedSpans().length < sampledTraceIds.size + sendSpans && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await telemetry.shutdown();
    const exported = exporter.getFinishedSpans();

    assert.equal(
      startSpan.mock.callCount(),
      sampledTraceIds.size + sendSpans,
      'spans are started for sampled traces only',
    );
    // 400 draws at one half: outside 140..260 is more than 6 standard deviations away.
    assert.ok(sampledTraceIds.size > 140 && unsampled > 140, `sampled ${sampledTraceIds.size} of ${roots}`);
    assert.equal(exported.length, sampledTraceIds.size + sendSpans);
    // The SDK sampled every span it was asked for: its decision on the same trace id is the same one.
    assert.deepEqual(new Set(exported.map((s) => s.spanContext().traceId)), sampledTraceIds);
  });
});
