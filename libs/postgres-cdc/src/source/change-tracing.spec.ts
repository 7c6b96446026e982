import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTelemetry, tracingConfigSchema } from '@sluice/observability';
import { Lsn } from '../lsn/lsn';
import { CapturedTransactionTrace } from './change-tracing';

const lsn = Lsn.parse('0/16B3748');
const commitMicros = 1_700_000_000_123_456n;

describe('CapturedTransactionTrace', () => {
  it('untraced: every event carries only the commit time (one shared header object)', () => {
    const tx = CapturedTransactionTrace.begin('source', 7, lsn, commitMicros);
    const a = tx.eventHeaders('cdc.public.a');
    assert.deepEqual(a, { 'sluice.source.ts': '1700000000123' });
    assert.equal(tx.eventHeaders('cdc.public.b'), a);
    tx.end();
  });

  it('traced but not sampled: the root context (flag 00) on every event, no span per event', () => {
    startTelemetry({ service: 'spec', config: tracingConfigSchema.parse({ samplingRatio: 0 }), env: {} });
    const tx = CapturedTransactionTrace.begin('source', 8, lsn, commitMicros);
    const a = tx.eventHeaders('cdc.public.a');
    assert.match(a.traceparent!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.equal(a['sluice.source.ts'], '1700000000123');
    assert.equal(tx.eventHeaders('cdc.public.b'), a, 'the same headers for the whole transaction');
    tx.end();
  });
});
