// Exactly-once when a member is expelled and comes back: a runtime (child process, identity
// processor) is frozen with SIGSTOP while idle, past its session timeout, so the group drops it and
// a second runtime takes every partition, initialising their transactional ids (which fences the
// frozen one's producers) and committing past where the first stopped. Thawed, the first learns it
// is no longer a member and rejoins under a new member id: it must start each partition it is
// handed afresh (fenced again, from the group's offset), not carry on with its fenced producers —
// which failed its first batch and stopped its runtime. Every input arrives once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { hasExited, stopChild, uniqueName, until } from '@sluice/test-support';
import { StreamHarness } from './stream-harness';

/** Records per phase: before the freeze, while frozen, after the thaw. */
const PHASE = 400;

interface Child {
  readonly process: ChildProcess;
  /** What it wrote to stderr (a runtime failure is reported there before it exits). */
  readonly stderr: () => string;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, [join(__dirname, 'eos-child.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { process: child, stderr: () => stderr };
}

const alive = (child: Child) => !hasExited(child.process);

const started = (child: Child) =>
  new Promise<void>((resolve, reject) => {
    child.process.stdout!.once('data', () => resolve());
    child.process.once('exit', (code) => reject(new Error(`child exited (${code}): ${child.stderr()}`)));
  });

describe('stream runtime: exactly-once after a member was expelled', () => {
  const h = new StreamHarness();
  const children: Child[] = [];
  before(() => h.connect());
  after(async () => {
    for (const child of children) if (alive(child)) child.process.kill('SIGKILL');
    await h.close();
  });
  /** A runtime child, started (it stops with the suite at the latest). */
  const runtime = async (args: string[]): Promise<Child> => {
    const child = startChild(args);
    children.push(child);
    await started(child);
    return child;
  };

  it(
    'a member thawed after its session expired rejoins as a new member and carries on, every input once',
    { timeout: 180_000 },
    async () => {
      const input = await h.topic('it.stream.expelled.in', 4);
      const output = await h.topic('it.stream.expelled.out', 4);
      const group = uniqueName('it.stream.expelled.group');
      h.track(`${group}.dlq`);
      const phase = (n: number) =>
        h.produce(
          input,
          Array.from({ length: PHASE }, (_, i) => ({ key: `k${i % 13}`, value: String(n * PHASE + i) })),
        );

      const first = await runtime([input, output, group]);
      await phase(0);
      // Idle, every partition's producer made and committed: nothing in flight when it freezes.
      await h.untilConsumed(group, input, 60_000);
      first.process.kill('SIGSTOP');

      const second = await runtime([input, output, group]);
      await phase(1);
      // The group dropped the frozen member (6 s session) and the second owns every partition.
      await h.untilConsumed(group, input, 90_000);

      first.process.kill('SIGCONT');
      const admin = h.kafka.admin();
      await admin.connect();
      try {
        // Both members again: the first rejoined (under a new member id) and holds partitions.
        let described: unknown;
        await until(
          async () => {
            assert.ok(alive(first), `the thawed runtime exited: ${first.stderr()}`);
            const [current] = (await admin.describeGroups([group])).groups;
            described = current;
            return current!.state === 'Stable' && current!.members.length === 2;
          },
          60_000,
          'the group back to 2 members',
          () => JSON.stringify(described),
          200,
        );
      } finally {
        await admin.disconnect();
      }
      await phase(2);
      await h.untilConsumed(group, input, 90_000);

      // The thawed runtime's first batches ran on fresh producers: it did not fail and exit.
      assert.ok(alive(first), `the thawed runtime exited: ${first.stderr()}`);
      assert.doesNotMatch(first.stderr(), /runtime fail/);
      for (const child of [first, second]) await stopChild(child.process);

      const values = (await h.readAll(output)).map((r) => Number(r.value));
      assert.equal(new Set(values).size, 3 * PHASE, 'every input arrived');
      assert.equal(values.length, 3 * PHASE, 'no input arrived twice');
    },
  );
});
