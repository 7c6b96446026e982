import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MessageTracing } from './message-tracing';
import { startTelemetry } from './telemetry';
import { tracingConfigSchema } from './tracing-config';

// Its own file: the SDK registers its provider once per process.
describe('telemetry sampling', () => {
  it('samplingRatio 0 records no new trace and costs an unsampled record no context', async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = startTelemetry({
      service: 's',
      config: tracingConfigSchema.parse({ samplingRatio: 0 }),
      env: {},
      exporter,
      exportImmediately: true,
    });
    let attributesMade = 0;
    const span = new MessageTracing('spec').root('capture source', () => (attributesMade++, {}));
    assert.equal(span.sampled, false);
    assert.equal(attributesMade, 0, 'an unsampled root makes no attributes');
    span.end();

    // A record without a parent is a new root too: left out, it is run outside any span's context
    // (nothing it does would be recorded) and its outputs still carry its unsampled context on.
    const record = new MessageTracing('spec').process(
      { topic: 't', partition: 0, offset: 1n, key: null, value: null, headers: [] },
      'g',
    );
    assert.equal(record.sampled, false);
    assert.equal(
      record.run(() => trace.getActiveSpan()),
      undefined,
      'no context is entered for an unsampled record',
    );
    assert.match(record.headerValues().traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    record.end();
    await telemetry.shutdown();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});
