import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LocalStack } from './local-stack';
import { stackLayout } from './stack-layout';
import { type StackPart, type StartOutcome } from './stack-part';

/** A stack whose parts only record when they start and stop. */
function recordingStack(): { stack: LocalStack; events: string[] } {
  const stack = new LocalStack(stackLayout('/nonexistent-project', { SLUICE_HOME: '/nonexistent-home' }));
  const events: string[] = [];
  for (const name of Object.keys(stack.parts) as Array<keyof typeof stack.parts>) {
    const part: StackPart = {
      name,
      address: name,
      logFile: `${name}.log`,
      status: () => Promise.reject(new Error('not used')),
      start: async (): Promise<StartOutcome> => {
        events.push(`start ${name}`);
        return 'started';
      },
      stop: async () => {
        events.push(`stop ${name}`);
        return true;
      },
    };
    stack.parts[name] = part;
  }
  return { stack, events };
}

describe('LocalStack.up', () => {
  it('starts Postgres with the registry (its storage), before the registry', async () => {
    const { stack, events } = recordingStack();
    const outcomes = await stack.up(['kafka', 'registry']);
    assert.deepEqual(Object.keys(outcomes).sort(), ['kafka', 'postgres', 'registry']);
    assert.equal(events.at(-1), 'start registry');
    assert.ok(events.includes('start postgres'));
  });

  it('starts only what was asked for when nothing else is needed', async () => {
    const { stack, events } = recordingStack();
    assert.deepEqual(Object.keys(await stack.up(['kafka'])), ['kafka']);
    assert.deepEqual(events, ['start kafka']);
  });
});
