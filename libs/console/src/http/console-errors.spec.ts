import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HttpException } from '@nestjs/common';
import { InvalidRangeError } from '@sluice/kafka';
import { MissingTopicError } from '@sluice/replay';
import { ReplayStartError } from '../replay/replay-runner';
import { httpErrorOf } from './console-errors';

const statusOf = (error: unknown) => (error instanceof HttpException ? error.getStatus() : 500);

describe('console HTTP errors', () => {
  it('a re-publish that could not start answers as its cause does, as the dry run would (not 500)', () => {
    const range = new ReplayStartError(
      'r1',
      'no partition 99',
      new InvalidRangeError('no partition 99', 'partitions'),
    );
    assert.equal(statusOf(httpErrorOf(range)), 400);
    assert.match((httpErrorOf(range) as HttpException).message, /replay r1 could not start: no partition 99/);
    assert.equal(statusOf(httpErrorOf(new ReplayStartError('r2', 'gone', new MissingTopicError('t')))), 404);
  });

  it('a start that failed for a reason of its own stays a server error', () => {
    const own = new ReplayStartError('r3', 'broker down', new Error('broker down'));
    assert.equal(httpErrorOf(own), own);
    assert.equal(statusOf(httpErrorOf(own)), 500);
  });
});
