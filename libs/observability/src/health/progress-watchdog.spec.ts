import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type HealthProbe } from './health-probe';
import {
  livenessConfigSchema,
  type ProgressSample,
  progressProbe,
  ProgressWatchdog,
} from './progress-watchdog';

function clockedWatchdog(stallAfterMs = 1000) {
  let now = 0;
  let sample: ProgressSample = { waiting: false, progress: '0', waitingOn: 'Kafka' };
  const watchdog = new ProgressWatchdog(() => sample, { stallAfterMs, now: () => now });
  return {
    watchdog,
    at: (ms: number) => (now = ms),
    set: (next: Partial<ProgressSample>) => (sample = { ...sample, ...next }),
  };
}

const probe = (name: string, up: boolean): HealthProbe => ({ name, check: () => ({ up }) });

describe('ProgressWatchdog', () => {
  it('is idle while nothing waits, however long nothing moves', () => {
    const { watchdog, at } = clockedWatchdog();
    at(60_000);
    assert.equal(watchdog.observe().state, 'idle');
  });

  it('calls waiting work stalled once it made no progress for stallAfterMs, and tells once', () => {
    const { watchdog, at, set } = clockedWatchdog();
    const told: string[] = [];
    watchdog.onStall((view) => told.push(view.waitingOn!));
    set({ waiting: true, progress: '5', waitingOn: 'Kafka to acknowledge 577 events' });
    at(100);
    assert.equal(watchdog.observe().state, 'progressing');
    at(1099);
    assert.equal(watchdog.observe().state, 'progressing');
    at(1100);
    const view = watchdog.observe();
    assert.equal(view.state, 'stalled');
    assert.equal(view.waitingForMs, 1000);
    assert.equal(view.waitingOn, 'Kafka to acknowledge 577 events');
    at(5000);
    watchdog.observe();
    assert.deepEqual(told, ['Kafka to acknowledge 577 events']);
    assert.ok(watchdog.stalled);
  });

  it('progress resets the clock; a stall ends when work moves again', () => {
    const { watchdog, at, set } = clockedWatchdog();
    set({ waiting: true, progress: '1' });
    at(10);
    watchdog.observe();
    at(900);
    set({ progress: '2' });
    watchdog.observe();
    at(1800);
    assert.equal(watchdog.observe().state, 'progressing');
    at(2000);
    assert.equal(watchdog.observe().state, 'stalled');
    set({ progress: '3' });
    assert.equal(watchdog.observe().state, 'progressing');
    assert.equal(watchdog.stalled, false);
  });
});

describe('progressProbe', () => {
  it('is down when stalled while every dependency answers, naming what it waits on', async () => {
    const { watchdog, at, set } = clockedWatchdog();
    set({ waiting: true, progress: '1', waitingOn: 'Kafka to acknowledge 3 events' });
    watchdog.observe();
    at(2000);
    const result = await progressProbe('progress', watchdog, [probe('kafka', true)]).check();
    assert.equal(result.up, false);
    assert.equal(result.details?.waitingOn, 'Kafka to acknowledge 3 events');
  });

  it('stays up when a dependency does not answer (a restart would not help), or when not stalled', async () => {
    const { watchdog, at, set } = clockedWatchdog();
    set({ waiting: true, progress: '1' });
    watchdog.observe();
    at(2000);
    const behind = await progressProbe('progress', watchdog, [probe('kafka', false)]).check();
    assert.equal(behind.up, true);
    assert.deepEqual(behind.details?.unreachable, ['kafka']);
    set({ progress: '2' });
    assert.equal((await progressProbe('progress', watchdog, [probe('kafka', true)]).check()).up, true);
  });
});

describe('livenessConfigSchema', () => {
  it('defaults to a minute and refuses less than a second, naming the field', () => {
    assert.deepEqual(livenessConfigSchema.parse(undefined), { stallAfterMs: 60_000 });
    const parsed = livenessConfigSchema.safeParse({ stallAfterMs: 10 });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0]?.path, ['stallAfterMs']);
    assert.equal(livenessConfigSchema.safeParse({ stallAfterMs: 5000, extra: 1 }).success, false);
  });
});
