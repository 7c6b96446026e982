import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { watchCircuitBreakers } from './circuit-breaker-metrics';
import { counter, gauge, histogram, metricsExposition } from './metrics-registry';

describe('metrics registry', () => {
  it('exposes counters, histograms, collected gauges and the process defaults in one registry', async () => {
    const c = counter({ name: 'sluice_spec_things_total', help: 'h', labelNames: ['topic'] });
    c.inc({ topic: 'a' });
    c.bind({ topic: 'a' }).inc(2);
    // Declaring the same metric again finds the first one.
    counter({ name: 'sluice_spec_things_total', help: 'h', labelNames: ['topic'] }).inc({ topic: 'b' });
    histogram({ name: 'sluice_spec_seconds', help: 'h', labelNames: [], buckets: [0.1, 1] }).observe({}, 0.5);
    const g = gauge({ name: 'sluice_spec_lag_records', help: 'h', labelNames: ['partition'] });
    const stopA = g.collectWith((s) => s.set({ partition: '0' }, 7));
    g.collectWith((s) => s.set({ partition: '1' }, 3));
    let { body } = await metricsExposition();
    assert.match(body, /sluice_spec_things_total\{topic="a"\} 3/);
    assert.match(body, /sluice_spec_things_total\{topic="b"\} 1/);
    assert.match(body, /sluice_spec_seconds_bucket\{le="1"\} 1/);
    assert.match(body, /sluice_spec_lag_records\{partition="0"\} 7/);
    assert.match(body, /sluice_spec_lag_records\{partition="1"\} 3/);
    assert.match(body, /process_cpu_seconds_total/);
    stopA();
    ({ body } = await metricsExposition());
    assert.doesNotMatch(
      body,
      /sluice_spec_lag_records\{partition="0"\}/,
      'a removed collector leaves no stale series',
    );
  });

  it('counts a bound counter in the process and reports the sum at every read of the registry', async () => {
    const c = counter({ name: 'sluice_spec_bound_total', help: 'h', labelNames: ['topic', 'outcome'] });
    const one = c.bind({ topic: 't', outcome: 'ok' });
    // The same labels bound again (another runtime of the process) count into the same series.
    const again = c.bind({ outcome: 'ok', topic: 't' });
    for (let i = 0; i < 1000; i++) one.inc();
    again.inc(5);
    let { body } = await metricsExposition();
    assert.match(body, /sluice_spec_bound_total\{topic="t",outcome="ok"\} 1005/);
    one.inc();
    ({ body } = await metricsExposition());
    assert.match(body, /sluice_spec_bound_total\{topic="t",outcome="ok"\} 1006/, 'counted once each');
    assert.throws(() => one.inc(-1), /sluice_spec_bound_total: a counter only goes up/);
  });

  it('turns circuit breaker states into 0/1/2 per group and destination', async () => {
    const states = [
      { destination: 'crm', state: 'open' as const },
      { destination: 'chat', state: 'half-open' as const },
    ];
    const stop = watchCircuitBreakers('sink-g', () => states);
    const { body } = await metricsExposition();
    assert.match(body, /sluice_circuit_breaker_state\{group="sink-g",destination="crm"\} 2/);
    assert.match(body, /sluice_circuit_breaker_state\{group="sink-g",destination="chat"\} 1/);
    stop();
  });
});
