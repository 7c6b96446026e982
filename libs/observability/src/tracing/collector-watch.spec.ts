import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { CollectorWatch, STALLED_EXPORT_MS } from './collector-watch';

/** An exporter whose exports finish when the test says. */
function heldExporter() {
  const pending: Array<(result: ExportResult) => void> = [];
  const exporter: SpanExporter = {
    export: (_spans, done) => void pending.push(done),
    shutdown: async () => undefined,
  };
  return { exporter, pending };
}

const spans = [] as ReadableSpan[];

describe('CollectorWatch', () => {
  it('the collector counts as there until an export fails or stalls', () => {
    let now = 0;
    const { exporter, pending } = heldExporter();
    const watch = new CollectorWatch(exporter, () => now);
    assert.equal(watch.collectorAway(), false, 'nothing exported yet');
    const results: ExportResult[] = [];
    watch.export(spans, (r) => results.push(r));
    now = STALLED_EXPORT_MS - 1;
    assert.equal(watch.collectorAway(), false, 'an export running briefly');
    now = STALLED_EXPORT_MS;
    assert.equal(watch.collectorAway(), true, 'an export running for STALLED_EXPORT_MS: retrying');
    pending.shift()!({ code: ExportResultCode.SUCCESS });
    assert.equal(watch.collectorAway(), false, 'it went through after all');
    assert.deepEqual(results, [{ code: ExportResultCode.SUCCESS }], 'the result is passed on');
  });

  it('a failed export marks the collector away until an export succeeds', () => {
    const { exporter, pending } = heldExporter();
    const watch = new CollectorWatch(exporter, () => 0);
    const results: ExportResult[] = [];
    watch.export(spans, (r) => results.push(r));
    const refused = {
      code: ExportResultCode.FAILED,
      error: new Error('connect ECONNREFUSED 127.0.0.1:4318'),
    };
    pending.shift()!(refused);
    assert.equal(watch.collectorAway(), true);
    assert.deepEqual(results, [refused]);
    watch.export(spans, () => undefined);
    pending.shift()!({ code: ExportResultCode.SUCCESS });
    assert.equal(watch.collectorAway(), false);
  });
});
