import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCheckpoint,
  definitionDifferences,
  encodeCheckpoint,
  type ReplayCheckpoint,
  type ReplayDefinition,
  MalformedCheckpointError,
} from './replay-checkpoint';

const definition: ReplayDefinition = {
  source: 'orders',
  target: 'orders.replayed',
  reencodeLatest: false,
  range: 'partitions all, from time 2026-01-01T00:00:00.000Z, to the end',
};

describe('replay checkpoint', () => {
  it('round-trips through its JSON record value', () => {
    const checkpoint: ReplayCheckpoint = {
      replayId: 'r1',
      definition,
      ranges: [
        { partition: 0, from: 5n, to: 90_000_000_000n },
        { partition: 2, from: 0n, to: 10n },
      ],
      next: new Map([
        [0, 70n],
        [2, 10n],
      ]),
      published: new Map([
        [0, 65],
        [2, 9],
      ]),
      skipped: new Map([[2, 1]]),
      status: 'running',
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:01:00.000Z',
    };
    const back = decodeCheckpoint(encodeCheckpoint(checkpoint), 'here');
    assert.deepEqual(back, {
      ...checkpoint,
      skipped: new Map([
        [0, 0],
        [2, 1],
      ]),
    });
  });

  it('refuses a value that is not a checkpoint, naming where it is', () => {
    assert.throws(
      () => decodeCheckpoint(Buffer.from('{'), '_sluice.replays[0]@7'),
      /_sluice.replays\[0\]@7 is not JSON/,
    );
    assert.throws(
      () => decodeCheckpoint(Buffer.from('{"v":9}'), 'x'),
      /checkpoint x has an unknown layout \(v=9\)/,
    );
    // Not a bare TypeError (or no error at all, then one later) for a record of another shape.
    for (const value of ['null', '[]', '{"v":1,"ranges":[{"partition":0}]}', '{"v":1,"ranges":[]}'])
      assert.throws(
        () => decodeCheckpoint(Buffer.from(value), '_sluice.replays[0]@7'),
        (e: unknown) => e instanceof MalformedCheckpointError && /_sluice\.replays\[0\]@7/.test(e.message),
        value,
      );
  });

  it('names every difference of a definition', () => {
    assert.deepEqual(definitionDifferences(definition, definition), []);
    assert.deepEqual(
      definitionDifferences(definition, { ...definition, target: 'other', reencodeLatest: true }),
      ['target orders.replayed, now other', '--reencode-latest off, now on'],
    );
  });
});
