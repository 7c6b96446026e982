import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { originMatches } from './streaming-phase';

describe('originMatches (events.skipOrigins as a list)', () => {
  it("matches a name and the sink's further origins <name>#<n>, nothing else", () => {
    const names = ['sluice_a_to_b'];
    assert.ok(originMatches(names, 'sluice_a_to_b'));
    assert.ok(originMatches(names, 'sluice_a_to_b#1'));
    assert.ok(originMatches(names, 'sluice_a_to_b#12'));
    assert.ok(!originMatches(names, 'sluice_a_to_bc'));
    assert.ok(!originMatches(names, 'sluice_a_to_b#'));
    assert.ok(!originMatches(names, 'sluice_a_to_b#x'));
    assert.ok(!originMatches(names, 'pg_16384'));
  });
});
