import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaCache } from './schema-cache';

describe('SchemaCache', () => {
  it('keeps at most its capacity and evicts the least recently used', () => {
    const cache = new SchemaCache<string>(2);
    cache.set(1, 'a');
    cache.set(2, 'b');
    assert.equal(cache.get(1), 'a');
    cache.set(3, 'c');
    assert.equal(cache.size, 2);
    assert.equal(cache.get(2), undefined);
    assert.equal(cache.get(1), 'a');
    assert.equal(cache.get(3), 'c');
  });
});
