// Exactly-once across crashes: a child process running the runtime (identity processor, EOS) is
// killed with SIGKILL several times while it works through N records; once a last run has consumed
// the whole input, the output read committed to its end offsets holds every input exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { seededRandom } from '../../../libs/stream/src/testing/seeded-random';
import { uniqueName } from '@sluice/test-support';
import { StreamHarness } from './stream-harness';

const N = 30_000;
const KILLS = 4;

function startChild(args: string[]): ChildProcess {
  return spawn(process.execPath, [join(__dirname, 'eos-child.js'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

describe('stream runtime: exactly-once across crashes', () => {
  const h = new StreamHarness();
  const children: ChildProcess[] = [];
  before(() => h.connect());
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await h.close();
  });

  it(
    `a consumer reading committed sees each of ${N} inputs exactly once after ${KILLS} kill -9`,
    { timeout: 240_000 },
    async () => {
      const random = seededRandom(7);
      const input = await h.topic('it.stream.eos.in', 4);
      const output = await h.topic('it.stream.eos.out', 4);
      const group = uniqueName('it.stream.eos.group');
      h.track(`${group}.dlq`);
      await h.produce(
        input,
        Array.from({ length: N }, (_, i) => ({ key: `k${i % 97}`, value: String(i) })),
      );
      const progress: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const child = startChild([input, output, group]);
        children.push(child);
        await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
        // Let it work through a further share of the input, then kill it mid-flight.
        const target = ((kill + 1) * N) / (KILLS + 2);
        while ((await h.logSize(output)) < target) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        const committed = [...(await h.committedOffsets(group, input)).values()].reduce(
          (sum, o) => sum + Math.max(0, Number(o)),
          0,
        );
        progress.push(committed);
      }
      // The kills really hit a run in progress: the group had committed some, not all, of the input.
      assert.ok(
        progress.some((c) => c > 0 && c < N),
        `committed after each kill: ${progress.join(', ')}`,
      );
      const last = startChild([input, output, group]);
      children.push(last);
      await h.untilConsumed(group, input, 180_000);
      last.kill('SIGTERM');
      await new Promise((r) => last.once('exit', r));
      // The whole output, not the first N records to arrive: a duplicate anywhere makes it N + 1.
      const seen = await h.readAll(output);

      const values = seen.map((r) => Number(r.value));
      const distinct = new Set(values);
      assert.equal(distinct.size, N, 'every input arrived');
      assert.equal(values.length, N, 'no input arrived twice');
      // Order per key survives the crashes: each key's values increase in its output partition.
      const lastByKey = new Map<string, number>();
      for (const r of seen) {
        const v = Number(r.value);
        assert.ok((lastByKey.get(r.key!) ?? -1) < v, `key ${r.key}: ${v} after ${lastByKey.get(r.key!)}`);
        lastByKey.set(r.key!, v);
      }
      assert.ok((await h.logSize(output)) >= N, 'aborted transactions left records in the log, unseen');
    },
  );
});
