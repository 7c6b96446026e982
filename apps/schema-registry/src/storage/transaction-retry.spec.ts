import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QueryFailedError } from 'typeorm';
import { compileRetryPolicy } from '@sluice/errors';
import { isTransientConflict, retryOnConflict } from './transaction-retry';

function pgError(code: string): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], Object.assign(new Error(`pg ${code}`), { code }));
}

describe('retryOnConflict', () => {
  it('classifies unique violations, serialization failures and deadlocks as transient', () => {
    assert.equal(isTransientConflict(pgError('23505')), true);
    assert.equal(isTransientConflict(pgError('40001')), true);
    assert.equal(isTransientConflict(pgError('40P01')), true);
    assert.equal(isTransientConflict(pgError('42P01')), false);
    assert.equal(isTransientConflict(new Error('23505')), false);
  });

  it('retries a transient conflict until the work succeeds', async () => {
    let calls = 0;
    const result = await retryOnConflict(async () => {
      calls++;
      if (calls < 3) throw pgError('23505');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(calls, 3);
  });

  it('never retries other errors and gives up after the attempts', async () => {
    let calls = 0;
    await assert.rejects(
      retryOnConflict(async () => {
        calls++;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      retryOnConflict(
        async () => {
          calls++;
          throw pgError('40001');
        },
        compileRetryPolicy({ maxAttempts: 4, initialDelayMs: 1, maxDelayMs: 1 }),
      ),
      QueryFailedError,
    );
    assert.equal(calls, 4);
  });
});
