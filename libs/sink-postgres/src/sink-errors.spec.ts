import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRecoverableRuntimeFailure } from '@sluice/stream';
import { PartitionFencedError } from './sink-errors';

describe('PartitionFencedError', () => {
  it('is recovered in the process: the supervisor starts the runtime again rather than failing for good', () => {
    const fenced = new PartitionFencedError('g', 'orders', 1);
    assert.equal(fenced.code, 'SINK_PARTITION_FENCED');
    assert.equal(fenced.retriable, true);
    assert.equal(isRecoverableRuntimeFailure(fenced), true);
    assert.match(fenced.message, /g orders\[1\]: another sink instance claimed the partition/);
  });
});
