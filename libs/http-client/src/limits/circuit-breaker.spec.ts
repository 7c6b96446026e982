import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@sluice/test-support';
import { CircuitBreaker, type CircuitTransition } from './circuit-breaker';

function breaker(clock = new FakeClock()) {
  const transitions: CircuitTransition[] = [];
  const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1_000 }, clock);
  b.onStateChange((t) => transitions.push(t));
  return { b, clock, transitions };
}

function fail(b: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) b.failure(b.acquire());
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures; a success in between resets the streak', () => {
    const { b } = breaker();
    fail(b, 2);
    b.success(b.acquire());
    fail(b, 2);
    assert.equal(b.state, 'closed');
    fail(b, 1);
    assert.equal(b.state, 'open');
  });

  it('open: refuses attempts until the cool-down, saying how long is left', () => {
    const { b, clock } = breaker();
    fail(b, 3);
    clock.advance(400);
    assert.deepEqual(b.acquire(), { allowed: false, retryInMs: 600 });
    assert.equal(b.counters().rejected, 1);
  });

  it('half-open after the cool-down lets exactly one probe through; its success closes', () => {
    const { b, clock, transitions } = breaker();
    fail(b, 3);
    clock.advance(1_000);
    const probe = b.acquire();
    assert.deepEqual(probe, { allowed: true, probe: true });
    assert.equal(b.state, 'half-open');
    assert.equal(b.acquire().allowed, false, 'a second attempt waits for the probe');
    b.success(probe);
    assert.equal(b.state, 'closed');
    assert.deepEqual(
      transitions.map((t) => `${t.from}->${t.to}`),
      ['closed->open', 'open->half-open', 'half-open->closed'],
    );
    assert.deepEqual(b.counters(), {
      state: 'closed',
      consecutiveFailures: 0,
      opened: 1,
      closed: 1,
      rejected: 1,
    });
  });

  it('a failed probe opens the circuit for another full cool-down', () => {
    const { b, clock } = breaker();
    fail(b, 3);
    clock.advance(1_000);
    b.failure(b.acquire());
    assert.equal(b.state, 'open');
    clock.advance(999);
    assert.equal(b.acquire().allowed, false);
    clock.advance(1);
    assert.equal(b.acquire().allowed, true);
    assert.equal(b.counters().opened, 2);
  });

  it('a neutral probe (429, aborted) frees the slot without closing', () => {
    const { b, clock } = breaker();
    fail(b, 3);
    clock.advance(1_000);
    b.neutral(b.acquire());
    assert.equal(b.state, 'half-open');
    assert.deepEqual(b.acquire(), { allowed: true, probe: true });
  });

  it('late outcomes of attempts admitted while closed do not close an open circuit', () => {
    const { b } = breaker();
    const early = b.acquire();
    fail(b, 3);
    b.success(early);
    assert.equal(b.state, 'open');
  });
});
