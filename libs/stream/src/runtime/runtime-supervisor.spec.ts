import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, RetriableError } from '@sluice/errors';
import { RuntimeSupervisor, type SupervisorRecovery } from './runtime-supervisor';
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

describe('RuntimeSupervisor with recovery', () => {
  const recovery = (over: Partial<SupervisorRecovery> = {}): SupervisorRecovery => ({
    group: 'g',
    initialDelayMs: 5,
    maxDelayMs: 20,
    stallAfterMs: 60_000,
    stopTimeoutMs: 1000,
    ...over,
  });

  /** A supervisor with `recovery(over)` whose runtimes are doubles, each shaped by `shape` (its index). */
  const recovering = (
    shape: (runtime: RuntimeDouble, index: number) => void,
    over: Partial<SupervisorRecovery> = {},
  ) => {
    const runtimes: RuntimeDouble[] = [];
    const supervisor = new RuntimeSupervisor(
      () => {
        const runtime = new RuntimeDouble();
        shape(runtime, runtimes.length);
        runtimes.push(runtime);
        return runtime as unknown as StreamRuntime;
      },
      undefined,
      recovery(over),
    );
    return { supervisor, runtimes };
  };

  it('a start that fails while Kafka is away is retried, phase retrying with the reason, until it runs', async () => {
    const runtimes: RuntimeDouble[] = [];
    const phases: string[] = [];
    let prepared = 0;
    const supervisor: RuntimeSupervisor = new RuntimeSupervisor(
      () => {
        const runtime = new RuntimeDouble();
        if (runtimes.length < 2) runtime.failOnStart = new Error('Connection error: connect ECONNREFUSED');
        runtimes.push(runtime);
        return runtime as unknown as StreamRuntime;
      },
      undefined,
      recovery({
        prepare: async () => {
          prepared++;
        },
        onRetry: (error) => phases.push(`${supervisor.phase}: ${(error as Error).message}`),
      }),
    );
    await supervisor.start();
    assert.equal(supervisor.phase, 'running');
    assert.equal(runtimes.length, 3);
    assert.equal(prepared, 3, 'prepared again before each attempt');
    assert.deepEqual(phases, [
      'retrying: Connection error: connect ECONNREFUSED',
      'retrying: Connection error: connect ECONNREFUSED',
    ]);
    assert.equal(supervisor.lastError, undefined, 'the reason goes once it runs');
    await supervisor.stop();
  });

  it('an input topic missing at start is waited for (a retriable preparation)', async () => {
    let topicExists = false;
    const supervisor = new RuntimeSupervisor(
      () => new RuntimeDouble() as unknown as StreamRuntime,
      undefined,
      recovery({
        prepare: async () => {
          if (!topicExists)
            throw new RetriableError('input topic(s) t do not exist yet', { code: 'INPUT_TOPIC_MISSING' });
        },
      }),
    );
    const started = supervisor.start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(supervisor.phase, 'retrying');
    assert.match(String(supervisor.lastError), /do not exist yet/);
    assert.ok(supervisor.retryAt instanceof Date);
    topicExists = true;
    await started;
    assert.equal(supervisor.phase, 'running');
    await supervisor.stop();
  });

  it('a failure no retry can fix fails at once', async () => {
    const supervisor = new RuntimeSupervisor(
      () => new RuntimeDouble() as unknown as StreamRuntime,
      undefined,
      recovery({
        prepare: async () => {
          throw new ConfigError('pipeline.to is not a topic name');
        },
      }),
    );
    await assert.rejects(supervisor.start(), ConfigError);
    assert.equal(supervisor.phase, 'failed');
    await assert.rejects(supervisor.done, ConfigError);
  });

  it('a runtime failing while it runs is replaced after a backoff; done stays pending', async () => {
    const runtimes: RuntimeDouble[] = [];
    const supervisor = new RuntimeSupervisor(
      () => {
        const runtime = new RuntimeDouble();
        runtimes.push(runtime);
        return runtime as unknown as StreamRuntime;
      },
      undefined,
      recovery(),
    );
    await supervisor.start();
    runtimes[0]!.fail(new Error('Consumer group was not initialized, consumer#run must be called first'));
    for (let i = 0; i < 50 && runtimes.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 50 && supervisor.phase !== 'running'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(runtimes.length, 2);
    assert.equal(supervisor.phase, 'running');
    let settled = false;
    void supervisor.done.then(
      () => (settled = true),
      () => (settled = true),
    );
    await tick();
    assert.equal(settled, false);
    await supervisor.stop();
  });

  it('a runtime whose records wait with nothing committed for stallAfterMs is replaced', async () => {
    const runtimes: RuntimeDouble[] = [];
    const stalls: string[] = [];
    const supervisor = new RuntimeSupervisor(
      () => {
        const runtime = new RuntimeDouble();
        // A partition 40 records behind whose committed offset never moves.
        runtime.partitionProgress = () =>
          [{ topic: 't', partition: 0, committedOffset: 10n, highWatermark: 50n, lag: 40n }] as never;
        runtimes.push(runtime);
        return runtime as unknown as StreamRuntime;
      },
      undefined,
      recovery({ stallAfterMs: 1000, onStall: (view) => stalls.push(view.waitingOn!) }),
    );
    await supervisor.start();
    supervisor.liveness!.observe();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(supervisor.liveness!.observe().state, 'stalled');
    for (let i = 0; i < 50 && runtimes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(runtimes.length, 2, 'replaced');
    assert.deepEqual(runtimes[0]!.calls, ['start', 'stop']);
    assert.deepEqual(stalls, ['40 records behind the committed offsets to be processed and committed']);
    await supervisor.stop();
  });

  it('a stall while the first runtime starts does not begin a second start beside it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { supervisor, runtimes } = recovering(
      (runtime) => {
        runtime.start = async () => {
          runtime.calls.push('start');
          await held;
        };
      },
      { stallAfterMs: 20 },
    );
    const started = supervisor.start();
    await tick();
    supervisor.liveness!.observe();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(supervisor.liveness!.observe().state, 'stalled');
    await tick();
    release();
    await started;
    assert.equal(runtimes.length, 1, 'one runtime');
    assert.deepEqual(runtimes[0]!.calls, ['start']);
    assert.equal(supervisor.current, runtimes[0] as unknown);
    assert.equal(supervisor.phase, 'running');
    await supervisor.stop();
    assert.deepEqual(runtimes[0]!.calls, ['start', 'stop']);
  });

  it('a stop while the first runtime starts stops it then, not after its start', async () => {
    const { supervisor, runtimes } = recovering((runtime) => {
      // As StreamRuntime: a start under way gives up when the runtime is stopped,
      let stopped!: () => void;
      const stopping = new Promise<void>((resolve) => (stopped = resolve));
      runtime.start = async () => {
        runtime.calls.push('start');
        await stopping;
        throw new Error('stopped while starting');
      };
      // and its stop is one stop however often it is asked for.
      const stop = runtime.stop.bind(runtime);
      let stopOnce: Promise<void> | undefined;
      runtime.stop = () =>
        (stopOnce ??= (async () => {
          stopped();
          await stop();
        })());
    });
    const started = supervisor.start();
    await tick();
    await supervisor.stop();
    await started;
    assert.equal(supervisor.phase, 'stopped');
    assert.equal(runtimes.length, 1);
    assert.deepEqual(runtimes[0]!.calls, ['start', 'stop']);
  });

  it('a runtime that fails as its start returns is replaced once the start is over', async () => {
    const { supervisor, runtimes } = recovering((runtime, index) => {
      if (index === 0)
        runtime.start = async () => {
          runtime.calls.push('start');
          runtime.fail(new Error('Connection error: the broker went away'));
          await tick();
        };
    });
    await supervisor.start();
    for (let i = 0; i < 50 && runtimes.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 50 && supervisor.phase !== 'running'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(runtimes.length, 2, 'the failed runtime was replaced');
    assert.equal(supervisor.current, runtimes[1] as unknown);
    assert.equal(supervisor.phase, 'running');
    await supervisor.stop();
  });

  it("an operator's restart while the start waits to retry tries at once, without a second start", async () => {
    let attempts = 0;
    const { supervisor, runtimes } = recovering(() => undefined, {
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
      prepare: async () => {
        if (attempts++ === 0) throw new RetriableError('input topic(s) t do not exist yet', { code: 'X' });
      },
    });
    const started = supervisor.start();
    for (let i = 0; i < 50 && supervisor.phase !== 'retrying'; i++) await tick();
    assert.equal(supervisor.phase, 'retrying');
    const asked = Date.now();
    await supervisor.restart();
    await started;
    assert.ok(Date.now() - asked < 5_000, 'not after the 60 s backoff');
    assert.equal(supervisor.phase, 'running');
    assert.equal(runtimes.length, 1);
    await supervisor.stop();
  });
});
