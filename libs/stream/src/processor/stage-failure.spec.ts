import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetriableError } from '@sluice/errors';
import { inStage, StageFailure } from './stage-failure';

describe('inStage', () => {
  it("returns synchronous work's value as it is, not a promise", () => {
    const value = { decoded: true };
    assert.equal(
      inStage('VALUE_CONVERTER', 'RecordDecoder', () => value),
      value,
    );
  });

  it('throws a synchronous failure at once, tagged with the stage and component', () => {
    assert.throws(
      () =>
        inStage('VALUE_CONVERTER', 'RecordDecoder', () => {
          throw new Error('bad bytes');
        }),
      (error: unknown) =>
        error instanceof StageFailure &&
        error.stage === 'VALUE_CONVERTER' &&
        error.className === 'RecordDecoder' &&
        (error.cause as Error).message === 'bad bytes',
    );
  });

  it("tags asynchronous work's rejection, keeping its retriability", async () => {
    const work = inStage('TASK_PUT', 'Writer', () => Promise.reject(new RetriableError('db away')));
    assert.ok(work instanceof Promise);
    await assert.rejects(
      work,
      (error: unknown) => error instanceof StageFailure && error.stage === 'TASK_PUT' && error.retriable,
    );
    assert.equal(await inStage('TASK_PUT', 'Writer', async () => 3), 3);
  });

  it('keeps the innermost stage of an error already tagged', () => {
    const inner = new StageFailure('KEY_CONVERTER', 'RecordDecoder', new Error('x'));
    assert.throws(
      () =>
        inStage('TRANSFORMATION', 'Pipeline(p)', () => {
          throw inner;
        }),
      (error: unknown) => error === inner,
    );
  });

  it('keeps the innermost stage of an asynchronous rejection already tagged', async () => {
    const inner = new StageFailure('VALUE_CONVERTER', 'RecordEncoder', new Error('y'));
    await assert.rejects(
      inStage('TRANSFORMATION', 'Pipeline(p)', () => Promise.reject(inner)),
      (error: unknown) => error === inner,
    );
  });
});
