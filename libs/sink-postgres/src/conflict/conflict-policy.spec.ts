import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ConflictPolicy,
  conflictPolicyFor,
  type LastWriter,
  LastWriterWins,
  ResolutionFunction,
  ruleName,
  SourcePriority,
} from './conflict-policy';

const w = (tsMs: number | null, site: string): LastWriter => ({
  tsMs: tsMs === null ? null : BigInt(tsMs),
  site,
});

/** Every pair of distinct writers: exactly one wins, whichever side decides (both sides converge). */
function assertTotal(policy: ConflictPolicy, writers: readonly LastWriter[]): void {
  for (const a of writers)
    for (const b of writers) {
      if (a.tsMs === b.tsMs && a.site === b.site) continue;
      assert.notEqual(policy.wins(a, b), policy.wins(b, a), `${a.site}@${a.tsMs} vs ${b.site}@${b.tsMs}`);
      assert.equal(policy.winner(a, b), policy.winner(b, a));
    }
}

describe('LastWriterWins', () => {
  const lww = new LastWriterWins();

  it('applies the later commit, whichever site made it', () => {
    assert.equal(lww.wins(w(20, 'a'), w(10, 'b')), true);
    assert.equal(lww.wins(w(10, 'b'), w(20, 'a')), false);
    assert.equal(lww.winner(w(10, 'b'), w(20, 'a')), 'a');
  });

  it('breaks a tie at the same millisecond by the greater site id, bytewise', () => {
    assert.equal(lww.wins(w(10, 'b'), w(10, 'a')), true);
    assert.equal(lww.wins(w(10, 'a'), w(10, 'b')), false);
    assert.equal(lww.wins(w(10, 'a'), w(10, 'B')), true, 'lower case after upper case, as in COLLATE "C"');
  });

  it('applies the same change again (a replay is no conflict)', () => {
    assert.equal(lww.wins(w(10, 'a'), w(10, 'a')), true);
  });

  it('takes a local write of unknown commit time as older than any other', () => {
    assert.equal(lww.wins(w(0, 'a'), w(null, 'b')), true);
    assert.equal(lww.wins(w(null, 'b'), w(0, 'a')), false);
  });

  it('is a total order over distinct writers', () => {
    assertTotal(lww, [w(1, 'a'), w(1, 'b'), w(2, 'a'), w(2, 'b'), w(null, 'a'), w(null, 'b')]);
    assert.equal(lww.needsCommitTimestamps, true);
  });
});

describe('SourcePriority', () => {
  const priority = new SourcePriority('a');

  it("applies the priority site's change over the other site's, whatever their times", () => {
    assert.equal(priority.wins(w(1, 'a'), w(99, 'b')), true);
    assert.equal(priority.wins(w(99, 'b'), w(1, 'a')), false);
    assert.equal(priority.winner(w(99, 'b'), w(1, 'a')), 'a');
  });

  it('orders the changes of one site by commit time', () => {
    assert.equal(priority.wins(w(2, 'b'), w(1, 'b')), true);
    assert.equal(priority.wins(w(1, 'b'), w(2, 'b')), false);
    assert.equal(priority.wins(w(2, 'a'), w(1, 'a')), true);
  });

  it('needs no commit time of local writes', () => {
    assert.equal(priority.needsCommitTimestamps, false);
    assert.equal(priority.wins(w(null, 'a'), w(5, 'b')), true);
    assertTotal(priority, [w(1, 'a'), w(1, 'b'), w(2, 'a'), w(2, 'b'), w(null, 'a'), w(null, 'b')]);
  });
});

describe('conflictPolicyFor', () => {
  it('names the policy of a rule', () => {
    assert.ok(conflictPolicyFor('last-writer-wins') instanceof LastWriterWins);
    const priority = conflictPolicyFor('source-priority', 'b');
    assert.ok(priority instanceof SourcePriority);
    assert.equal((priority as SourcePriority).prioritySite, 'b');
    assert.throws(() => conflictPolicyFor('source-priority'), /priority site/);
  });

  it('makes both sides of a concurrent change end on one winner (simulated exchange)', () => {
    // Site a writes at 10, site b at 12, each before seeing the other's change; then each applies
    // the other's change if it wins over its own row.
    for (const policy of [new LastWriterWins(), new SourcePriority('a'), new SourcePriority('b')]) {
      const onA = policy.wins(w(12, 'b'), w(10, 'a')) ? 'b' : 'a';
      const onB = policy.wins(w(10, 'a'), w(12, 'b')) ? 'a' : 'b';
      assert.equal(onA, onB, policy.rule);
    }
  });

  it('names a resolution function as its rule, needing no commit times, ordering writers as last-writer-wins', () => {
    const policy = conflictPolicyFor({ function: 'app.resolve_accounts' });
    assert.ok(policy instanceof ResolutionFunction);
    assert.equal(policy.resolver, 'app.resolve_accounts');
    // sluice_conflicts.rule, and the key telling the table rules apart.
    assert.equal(policy.rule, 'function:app.resolve_accounts');
    assert.equal(ruleName({ function: 'app.resolve_accounts' }), 'function:app.resolve_accounts');
    assert.equal(ruleName('source-priority'), 'source-priority');
    // Its local versions' commit times are handed to the function, NULL when not tracked.
    assert.equal(policy.needsCommitTimestamps, false);
    // Where no version is at stake (two deletions) writers are ordered as last-writer-wins does.
    assertTotal(policy, [w(10, 'a'), w(10, 'b'), w(12, 'a'), w(null, 'b')]);
    assert.equal(policy.wins(w(12, 'b'), w(10, 'a')), new LastWriterWins().wins(w(12, 'b'), w(10, 'a')));
    assert.equal((new LastWriterWins() as ConflictPolicy).resolver, undefined);
  });
});
