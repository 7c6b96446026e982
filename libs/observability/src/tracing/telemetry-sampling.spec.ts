import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { MessageTracing } from './message-tracing';
import { startTelemetry } from './telemetry';
import { tracingConfigSchema } from './tracing-config';

// Its own file: the SDK registers its provider once per process.
describe('telemetry sampling', () => {
  it('samplingRatio 0 records no new trace', async () => {
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
    await telemetry.shutdown();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});
