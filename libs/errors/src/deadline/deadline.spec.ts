import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRetriable } from '../sluice-error';
import { DeadlineExceededError, withDeadline } from './deadline';

describe('withDeadline', () => {
  it('settles as the work does when it is in time', async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1000, 'adding'), 7);
    await assert.rejects(withDeadline(Promise.reject(new Error('refused')), 1000, 'asking'), /refused/);
  });

  it('rejects with a retriable error naming the operation when the work never settles', async () => {
    const never = new Promise<void>(() => undefined);
    await assert.rejects(withDeadline(never, 20, 'sending 3 events to Kafka'), (error: unknown) => {
      assert.ok(error instanceof DeadlineExceededError);
      assert.equal(error.message, 'sending 3 events to Kafka did not complete within 20 ms');
      assert.equal(error.code, 'DEADLINE_EXCEEDED');
      assert.ok(isRetriable(error));
      return true;
    });
  });

  it('absorbs a late rejection of the abandoned work', async () => {
    let rejectLate!: (error: Error) => void;
    const late = new Promise<void>((_, reject) => (rejectLate = reject));
    await assert.rejects(withDeadline(late, 10, 'late'), DeadlineExceededError);
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    rejectLate(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', listener);
    assert.deepEqual(unhandled, []);
  });
});
