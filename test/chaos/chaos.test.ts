// The chaos suite's small run (docs/chaos.md): the whole pipeline — source-postgres → transformer
// (exactly-once) → sink-postgres, and tables replicated straight from the source — under a steady
// workload on a stack of its own, while each app is killed with SIGKILL once, the broker is killed
// once, Postgres restarted once and the connections to the broker and to Postgres cut once, at
// seeded random moments. Afterwards: the replica equals the source, the exactly-once outputs hold
// exactly one record per input change, no dead letters, every app recovered from every fault, and
// no app stalled (work waiting, no progress) for the liveness threshold. `npm run chaos` is the
// long run. SLUICE_CHAOS_SEED=<seed> repeats a run's fault plan.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHAOS_OPTIONS, LIVENESS_THRESHOLD_MS } from './chaos-options';
import { renderReport } from './chaos-report';
import { type ChaosOutcome, runChaos } from './chaos-run';
import { SeededRandom } from './seeded-random';

describe('chaos: the pipeline under faults', () => {
  const controller = new AbortController();
  let running: Promise<ChaosOutcome> | undefined;

  after(async () => {
    // A run cut short (a timeout) still stops its apps and its stack.
    controller.abort();
    await running?.catch(() => undefined);
  });

  it(
    'converges, exactly once, after a kill of each app and of the broker, a Postgres restart and cut connections',
    { timeout: 600_000 },
    async () => {
      const seed = process.env.SLUICE_CHAOS_SEED
        ? Number(process.env.SLUICE_CHAOS_SEED)
        : SeededRandom.newSeed();
      running = runChaos({
        ...DEFAULT_CHAOS_OPTIONS,
        seed,
        faults: 7, // each kind once
        minimum: {},
        durationSeconds: 100,
        calmSeconds: 12,
        rate: 40,
        customers: 100,
        stallThresholdMs: LIVENESS_THRESHOLD_MS,
        drainTimeoutMs: 150_000,
        log: (line) => process.stderr.write(`[chaos] ${line}\n`),
        signal: controller.signal,
      });
      const outcome = await running;
      process.stderr.write(renderReport(outcome));
      const failed = outcome.checks.filter((c) => !c.ok);
      assert.deepEqual(
        failed.map((c) => `${c.name}: ${c.detail}`),
        [],
        `chaos run with seed ${seed} failed (logs: ${outcome.runDir})`,
      );
    },
  );
});
