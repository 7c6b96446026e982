import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecrets } from './mask-secrets';

describe('maskSecrets', () => {
  it('masks fields named like secrets at any depth, keeps the rest and the original', () => {
    const status = {
      phase: 'running',
      registry: { auth: { username: 'u', password: 'p' } },
      http: { token: 't' },
      list: [{ apiKey: 'k', n: 1 }],
    };
    assert.deepEqual(maskSecrets(status), {
      phase: 'running',
      registry: { auth: { username: 'u', password: '***' } },
      http: { token: '***' },
      list: [{ apiKey: '***', n: 1 }],
    });
    assert.equal(status.http.token, 't');
  });
});
