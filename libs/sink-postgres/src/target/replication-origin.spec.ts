import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { replicationOriginName } from './replication-origin';

describe('replicationOriginName', () => {
  it('is none when off, sluice_<group> sanitized when on, the name itself when given', () => {
    assert.equal(replicationOriginName(false, 'a-to-b'), undefined);
    assert.equal(replicationOriginName(true, 'a-to-b.orders'), 'sluice_a_to_b_orders');
    assert.equal(replicationOriginName('into_a', 'a-to-b'), 'into_a');
  });
});
