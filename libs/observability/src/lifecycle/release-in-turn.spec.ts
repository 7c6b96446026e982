import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { releaseInTurn } from './release-in-turn';

describe('releaseInTurn', () => {
  it('runs every release in order, also after one threw, then rethrows the first failure', async () => {
    const ran: string[] = [];
    await assert.rejects(
      releaseInTurn([
        async () => {
          ran.push('producer');
          throw new Error('producer disconnect failed');
        },
        () => {
          ran.push('consumer');
          throw new Error('consumer disconnect failed');
        },
        () => ran.push('admin'),
      ]),
      /^Error: producer disconnect failed$/,
    );
    assert.deepEqual(ran, ['producer', 'consumer', 'admin']);
  });

  it('waits for each release before the next and resolves when all went well', async () => {
    const ran: string[] = [];
    await releaseInTurn([
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        ran.push('slow');
      },
      () => ran.push('fast'),
    ]);
    assert.deepEqual(ran, ['slow', 'fast']);
  });
});
