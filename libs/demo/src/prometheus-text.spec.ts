import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketsBetween, histogramBuckets, parsePrometheusText, quantile, sumOf } from './prometheus-text';

const TEXT = `# HELP sluice_stream_records_total Records.
# TYPE sluice_stream_records_total counter
sluice_stream_records_total{topic="a",outcome="processed"} 10
sluice_stream_records_total{topic="b",outcome="processed"} 5
sluice_stream_records_total{topic="a",outcome="dead-lettered"} 1
sluice_end_to_end_latency_seconds_bucket{le="0.01",topic="a"} 2
sluice_end_to_end_latency_seconds_bucket{le="0.1",topic="a"} 8
sluice_end_to_end_latency_seconds_bucket{le="1",topic="a"} 10
sluice_end_to_end_latency_seconds_bucket{le="+Inf",topic="a"} 10
odd line without value
label_escapes{path="a\\"b"} 3
`;

describe('prometheus text', () => {
  it('parses samples with labels, skipping comments and malformed lines', () => {
    const samples = parsePrometheusText(TEXT);
    assert.equal(sumOf(samples, 'sluice_stream_records_total'), 16);
    assert.equal(sumOf(samples, 'sluice_stream_records_total', { outcome: 'processed' }), 15);
    assert.equal(samples.find((s) => s.name === 'label_escapes')!.labels.path, 'a"b');
    assert.equal(
      samples.some((s) => s.name === 'odd'),
      false,
    );
  });

  it('estimates quantiles as histogram_quantile does', () => {
    const buckets = histogramBuckets(parsePrometheusText(TEXT), 'sluice_end_to_end_latency_seconds');
    // rank 5 of 10 lies in (0.01, 0.1], 3 of its 6 observations in: 0.01 + 0.09 * 3/6
    assert.ok(Math.abs(quantile(buckets, 0.5)! - 0.055) < 1e-9);
    assert.equal(quantile(buckets, 0.99), 0.1 + 0.9 * ((9.9 - 8) / 2));
    assert.equal(quantile(new Map([[Infinity, 0]]), 0.5), undefined);
    const none = bucketsBetween(buckets, buckets);
    assert.equal(quantile(none, 0.5), undefined);
  });
});
