import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeSupervisor } from './runtime-supervisor';
import { type StreamRuntime } from './stream-runtime';

/** Stands for a StreamRuntime: records calls; `fail` ends it as a failed runtime does. */
class RuntimeDouble {
  readonly calls: string[] = [];
  paused = false;
  failOnStart: Error | undefined;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  readonly done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor() {
    this.done.catch(() => undefined);
  }
  async start() {
    this.calls.push('start');
    if (this.failOnStart) throw this.failOnStart;
  }
  async stop() {
    this.calls.push('stop');
    this.settle.resolve();
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  fail(error: Error) {
    this.settle.reject(error);
  }
  assignedPartitions() {
    return [{ topic: 't', partition: 0 }];
  }
  membership() {
    return 'member' as const;
  }
  partitionProgress() {
    return [];
  }
}

function supervised() {
  const runtimes: RuntimeDouble[] = [];
  const failures: unknown[] = [];
  const supervisor = new RuntimeSupervisor(
    () => {
      const runtime = new RuntimeDouble();
      runtimes.push(runtime);
      return runtime as unknown as StreamRuntime;
    },
    (error) => failures.push(error),
  );
  return { supervisor, runtimes, failures };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('RuntimeSupervisor', () => {
  it('starts a runtime, and restart stops it before starting a fresh one', async () => {
    const { supervisor, runtimes } = supervised();
    assert.equal(supervisor.phase, 'starting');
    await supervisor.start();
    assert.equal(supervisor.phase, 'running');
    await supervisor.restart();
    assert.equal(runtimes.length, 2);
    assert.deepEqual(runtimes[0]!.calls, ['start', 'stop']);
    assert.deepEqual(runtimes[1]!.calls, ['start']);
    assert.equal(supervisor.phase, 'running');
    assert.equal(supervisor.current, runtimes[1] as unknown);
  });

  it('a pause outlives a restart; resume reaches the current runtime', async () => {
    const { supervisor, runtimes } = supervised();
    await supervisor.start();
    supervisor.pause();
    assert.equal(runtimes[0]!.paused, true);
    await supervisor.restart();
    assert.equal(runtimes[1]!.paused, true, 'the new runtime starts paused');
    assert.equal(supervisor.paused, true);
    supervisor.resume();
    assert.equal(runtimes[1]!.paused, false);
  });

  it('a failed runtime makes phase failed and done reject; a restart runs again', async () => {
    const { supervisor, runtimes, failures } = supervised();
    await supervisor.start();
    const boom = new Error('commit refused');
    runtimes[0]!.fail(boom);
    await tick();
    assert.equal(supervisor.phase, 'failed');
    assert.equal(supervisor.lastError, boom);
    assert.deepEqual(failures, [boom]);
    await assert.rejects(supervisor.done, /commit refused/);
    await supervisor.restart();
    assert.equal(supervisor.phase, 'running');
    assert.equal(supervisor.lastError, undefined);
  });

  it('the end of a runtime it replaced is not a failure', async () => {
    const { supervisor, runtimes, failures } = supervised();
    await supervisor.start();
    const old = runtimes[0]!;
    await supervisor.restart();
    old.fail(new Error('late'));
    await tick();
    assert.equal(supervisor.phase, 'running');
    assert.deepEqual(failures, []);
  });

  it('a restart whose runtime cannot start fails the supervisor', async () => {
    const runtimes: RuntimeDouble[] = [];
    const supervisor = new RuntimeSupervisor(() => {
      const runtime = new RuntimeDouble();
      if (runtimes.length > 0) runtime.failOnStart = new Error('broker down');
      runtimes.push(runtime);
      return runtime as unknown as StreamRuntime;
    });
    await supervisor.start();
    await assert.rejects(supervisor.restart(), /broker down/);
    assert.equal(supervisor.phase, 'failed');
    await assert.rejects(supervisor.done, /broker down/);
  });

  it('stop ends supervision: phase stopped, done resolves, no restart afterwards', async () => {
    const { supervisor, runtimes } = supervised();
    await supervisor.start();
    await supervisor.stop();
    assert.equal(supervisor.phase, 'stopped');
    await supervisor.done;
    assert.equal(supervisor.membership(), 'member');
    await supervisor.restart();
    assert.equal(runtimes.length, 1, 'no runtime started after stop');
    assert.equal(supervisor.phase, 'stopped');
  });
});
