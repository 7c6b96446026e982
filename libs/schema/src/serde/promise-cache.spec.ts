import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoadingCache } from './promise-cache';

function counters() {
  const counts = { hit: 0, miss: 0 };
  return { counts, hit: { inc: () => counts.hit++ }, miss: { inc: () => counts.miss++ } };
}

describe('LoadingCache', () => {
  it('shares one load between callers while it runs, then answers with the value itself', async () => {
    const c = counters();
    const cache = new LoadingCache<number, { id: number }>({ counters: c });
    let loads = 0;
    const load = async () => ({ id: ++loads });
    const a = cache.get(7, load);
    const b = cache.get(7, load);
    assert.ok(a instanceof Promise);
    assert.equal(a, b, 'one promise for concurrent callers');
    const loaded = await a;
    const now = cache.get(7, load);
    assert.equal(now, loaded, 'the loaded value, not a promise');
    assert.equal(loads, 1);
    assert.deepEqual(c.counts, { hit: 2, miss: 1 });
  });

  it('has the value in place when the first caller resumes', async () => {
    const cache = new LoadingCache<string, number>();
    const value = await cache.get('k', async () => 42);
    assert.equal(
      cache.get('k', async () => assert.fail('loaded twice')),
      value,
    );
  });

  it('forgets a failed load: the next call loads again', async () => {
    const cache = new LoadingCache<string, number>();
    const failing = cache.get('k', () => Promise.reject(new Error('registry down')));
    await assert.rejects(failing as Promise<number>, /registry down/);
    const again = cache.get('k', async () => 5);
    assert.ok(again instanceof Promise, 'loads again');
    assert.equal(await again, 5);
    assert.equal(
      cache.get('k', async () => 6),
      5,
    );
  });

  it('keeps a failure it is told to keep: the next call gets it without loading', async () => {
    const refused = new Error('refused');
    const cache = new LoadingCache<string, number>({ keepsFailure: (error) => error === refused });
    let loads = 0;
    const refuse = () => (loads++, Promise.reject(refused));
    await assert.rejects(cache.get('k', refuse) as Promise<number>, /refused/);
    await assert.rejects(cache.get('k', refuse) as Promise<number>, /refused/);
    assert.equal(loads, 1);
  });
});
