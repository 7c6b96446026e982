import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentError, FatalRecordError, RetriableError } from '@sluice/errors';
import { Lsn } from '../lsn/lsn';
import type { ProgressSample } from '@sluice/observability';
import { type CoordinatedRun, type RunControl, SourceCoordinator } from './source-coordinator';
import { FailedTransactionError, FailedTransactionReached } from './streaming-phase';

/** Stands for a SourceRun: settles when the test says, records stop and interrupt. */
class RunDouble implements CoordinatedRun {
  stopped = false;
  interruptedWith: Error | undefined;
  private settle!: { resolve: (finished: boolean) => void; reject: (error: unknown) => void };
  private readonly life = new Promise<boolean>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(readonly control: RunControl) {}

  run(): Promise<boolean> {
    return this.life;
  }
  interrupt(error: Error): boolean {
    this.interruptedWith = error;
    this.settle.reject(error);
    return true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.settle.resolve(false);
  }
  finish(): void {
    this.settle.resolve(true);
  }
  fail(error: Error): void {
    this.settle.reject(error);
  }
}

function coordinated(
  options: { initialDelayMs?: number; stallAfterMs?: number; sample?: ProgressSample } = {},
) {
  const runs: RunDouble[] = [];
  const restarts: string[] = [];
  const coordinator = new SourceCoordinator({
    restart: { initialDelayMs: options.initialDelayMs ?? 5, maxDelayMs: 1_000 },
    stallAfterMs: options.stallAfterMs ?? 60_000,
    progress: () => options.sample ?? { waiting: false, progress: '', waitingOn: 'nothing' },
    newRun: (control) => {
      const run = new RunDouble(control);
      runs.push(run);
      return run;
    },
    log: { info() {}, warn() {}, error() {} },
    restarts: { inc: ({ reason }) => restarts.push(reason) },
  });
  /** The n-th run (1-based), once the coordinator started it. */
  const run = async (n: number): Promise<RunDouble> => {
    while (runs.length < n) await new Promise((r) => setTimeout(r, 1));
    return runs[n - 1];
  };
  return { coordinator, runs, restarts, run };
}

describe('SourceCoordinator', () => {
  it('a retriable failure: retrying with the error and the next attempt, then a new run; streaming clears the error', async () => {
    const { coordinator, restarts, run } = coordinated({ initialDelayMs: 300 });
    coordinator.start();
    const first = await run(1);
    first.control.enter('streaming');
    assert.equal(coordinator.phase, 'streaming');
    first.fail(new RetriableError('broker gone'));
    await new Promise((r) => setImmediate(r));
    assert.equal(coordinator.phase, 'retrying');
    assert.equal(coordinator.lastError?.message, 'broker gone');
    assert.equal(coordinator.lastError?.retriable, true);
    assert.ok(coordinator.retryAt instanceof Date);
    assert.equal(coordinator.run, undefined, 'no run while waiting');

    const second = await run(2);
    assert.equal(coordinator.phase, 'starting');
    assert.equal(coordinator.run, second);
    second.control.enter('streaming');
    assert.equal(coordinator.lastError, undefined);
    assert.deepEqual(restarts, ['failure']);
    await coordinator.stop();
    assert.equal(second.stopped, true);
    assert.equal(coordinator.phase, 'stopped');
  });

  it('an error no retry fixes ends in failed, and no other run starts', async () => {
    const { coordinator, runs, run } = coordinated();
    coordinator.start();
    (await run(1)).fail(new EnvironmentError('wal_level is replica', { code: 'PG_WAL_LEVEL' }));
    await coordinator.done();
    assert.equal(coordinator.phase, 'failed');
    assert.equal(coordinator.lastError?.retriable, false);
    assert.equal(runs.length, 1);
    coordinator.pause();
    assert.equal(coordinator.isPaused, false, 'a failed source is not paused');
  });

  it('a transaction that failed a record: one more run up to it, then failed with the error of the record', async () => {
    const { coordinator, runs, run } = coordinated();
    coordinator.start();
    const first = await run(1);
    assert.equal(first.control.stopBefore, undefined);
    const at = Lsn.parse('0/16B3748');
    const record = new FatalRecordError('numeric NaN in amounts.amount', {
      code: 'CDC_UNREPRESENTABLE_VALUE',
    });
    first.fail(new FailedTransactionError(at, record));
    const second = await run(2);
    assert.ok(second.control.stopBefore?.equals(at), 'the second run stops before the failed transaction');
    assert.equal(
      coordinator.phase,
      'starting',
      'not failed yet: the transactions before it are being delivered',
    );
    second.fail(new FailedTransactionReached(at));
    await coordinator.done();
    assert.equal(coordinator.phase, 'failed');
    assert.equal(coordinator.lastError?.message, 'numeric NaN in amounts.amount');
    assert.equal(runs.length, 2);
  });

  it('a run finished for good (initial_only) stops the source', async () => {
    const { coordinator, run } = coordinated();
    coordinator.start();
    (await run(1)).finish();
    await coordinator.done();
    assert.equal(coordinator.phase, 'stopped');
  });

  it('a pause holds the run until resume; a stop while paused ends it as stopped, not failed', async () => {
    const { coordinator, run } = coordinated();
    coordinator.start();
    const first = await run(1);
    assert.equal(first.control.whilePaused(), undefined);
    coordinator.pause();
    const held = first.control.whilePaused();
    assert.ok(held);
    coordinator.resume();
    await held;

    coordinator.pause();
    const stopped = first.control.whilePaused()!.catch((error: unknown) => {
      first.fail(error as Error);
      return error;
    });
    await coordinator.stop();
    assert.ok((await stopped) instanceof Error);
    assert.equal(coordinator.phase, 'stopped');
    assert.equal(coordinator.lastError, undefined);
  });

  it('a stall interrupts the run and starts another, counted as stalled only', async () => {
    const { coordinator, restarts, run } = coordinated({
      stallAfterMs: 0,
      sample: { waiting: true, progress: 'same', waitingOn: 'Kafka to acknowledge 3 events' },
    });
    coordinator.start();
    const first = await run(1);
    coordinator.liveness.observe();
    assert.equal((first.interruptedWith as RetriableError | undefined)?.code, 'SOURCE_STALLED');
    await run(2);
    assert.deepEqual(restarts, ['stalled']);
    await coordinator.stop();
  });

  it('restart stops the run and starts a new one, the pause kept', async () => {
    const { coordinator, run } = coordinated();
    coordinator.start();
    const first = await run(1);
    coordinator.pause();
    await coordinator.restart();
    assert.equal(first.stopped, true);
    const second = await run(2);
    assert.equal(coordinator.isPaused, true);
    const held = second.control.whilePaused();
    assert.ok(held);
    coordinator.resume();
    await held;
    await coordinator.stop();
  });
});
