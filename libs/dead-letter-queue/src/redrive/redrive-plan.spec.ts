import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type DeadLetter, toDeadLetter } from '../dead-letter/dead-letter';
import { planPurge, PurgeRefusedError } from '../purge/purge-plan';
import { type ParkedKey, planRedrive } from './redrive-plan';

const h = (key: string, value: string) => ({ key, value: Buffer.from(value) });
let dlqOffset = 0n;

/** A dead letter of `in[0]@offset`; `failed` gives an exception, `parked` a parked-behind offset. */
function letter(
  key: string,
  offset: bigint,
  opts: { parked?: bigint; extra?: Array<ReturnType<typeof h>> } = {},
): DeadLetter {
  return toDeadLetter({
    partition: 0,
    offset: dlqOffset++,
    timestamp: 1,
    key: Buffer.from(key),
    value: Buffer.from(`${key}@${offset}`),
    headers: [
      h('__connect.errors.topic', 'in'),
      h('__connect.errors.partition', '0'),
      h('__connect.errors.offset', String(offset)),
      ...(opts.parked === undefined
        ? [h('__connect.errors.exception.class.name', 'Boom')]
        : [h('sluice.errors.parked', String(opts.parked))]),
      ...(opts.extra ?? []),
    ],
  });
}

const park = (key: string, failedOffset: bigint): ParkedKey => ({
  topic: 'in',
  partition: 0,
  key: Buffer.from(key),
  failedOffset,
});
const values = (plan: ReturnType<typeof planRedrive>) => plan.copies.map((c) => c.letter.value!.toString());

describe('planRedrive', () => {
  it("replays a parked key's whole sequence in original order when any of it is selected, releasing on the last copy", () => {
    const letters = [
      letter('a', 5n),
      letter('b', 6n),
      letter('a', 7n, { parked: 5n }),
      letter('a', 9n, { parked: 5n }),
    ];
    const plan = planRedrive({
      id: 'r',
      letters,
      selected: (l) => l.errorClass === 'Boom' && l.key!.toString() === 'a',
      parked: [park('a', 5n)],
      redriven: new Set(),
    });
    assert.deepEqual(values(plan), ['a@5', 'a@7', 'a@9']);
    assert.deepEqual(
      plan.copies.map((c) => [c.mark.parked, c.mark.release]),
      [
        [5n, undefined],
        [5n, undefined],
        [5n, { failedOffset: 5n, through: 9n }],
      ],
    );
    assert.deepEqual(
      plan.releases.map((r) => [r.key.toString(), r.records, r.missingFailedRecord]),
      [['a', 3, false]],
    );
    assert.ok(plan.copies.every((c) => c.target.topic === 'in' && c.target.partition === 0));
  });

  it('interleaves parked sequences and plain dead letters by original offset, skips the already redriven', () => {
    const letters = [letter('a', 5n), letter('b', 6n), letter('c', 3n), letter('a', 8n, { parked: 5n })];
    const plan = planRedrive({
      id: 'r',
      letters,
      selected: () => true,
      parked: [park('a', 5n)],
      redriven: new Set([`0/${letters[2]!.offset}`]),
    });
    assert.deepEqual(values(plan), ['a@5', 'b@6', 'a@8']);
    assert.equal(plan.skipped.alreadyRedriven, 1);
    assert.equal(plan.copies[1]!.mark.parked, undefined, 'b is not parked: a plain copy');
  });

  it('after a broken redrive, keeps one copy per original record (the latest) and through covers the re-parked copies', () => {
    const redrive = (of: bigint) => [
      h('sluice.redrive.id', 'r1'),
      h('sluice.redrive.of', `in/0/${of}`),
      h('sluice.redrive.parked', '5'),
    ];
    const letters = [
      letter('a', 5n),
      letter('a', 6n, { parked: 5n }),
      letter('a', 20n, { extra: redrive(5n) }), // the copy of 5 failed again
      letter('a', 21n, { parked: 5n, extra: redrive(6n) }), // the copy of 6 parked again
      letter('a', 22n, { parked: 5n }), // a new record parked meanwhile
    ];
    const plan = planRedrive({
      id: 'r2',
      letters,
      selected: () => true,
      parked: [park('a', 5n)],
      redriven: new Set(),
    });
    assert.deepEqual(
      plan.copies.map((c) => [c.letter.offset, c.mark.of.offset]),
      [
        [letters[2]!.offset, 5n],
        [letters[3]!.offset, 6n],
        [letters[4]!.offset, 22n],
      ],
    );
    assert.deepEqual(plan.copies.at(-1)!.mark.release, { failedOffset: 5n, through: 22n });
  });

  it('leaves out dead letters without an origin and unselected sequences', () => {
    const unknown = toDeadLetter({
      partition: 0,
      offset: 99n,
      timestamp: 1,
      key: null,
      value: null,
      headers: [],
    });
    const plan = planRedrive({
      id: 'r',
      letters: [letter('a', 5n), unknown],
      selected: (l) => l === unknown,
      parked: [park('a', 5n)],
      redriven: new Set(),
    });
    assert.equal(plan.copies.length, 0);
    assert.equal(plan.skipped.noOrigin, 1);
  });

  it('skips a dead letter cut to fit the DLQ, and a parked sequence with one, rather than publish a null value', () => {
    const cut = [h('sluice.errors.omitted', 'value (2000000 bytes)')];
    const letters = [
      letter('a', 5n, { extra: cut }),
      letter('b', 6n),
      letter('c', 7n),
      letter('c', 8n, { parked: 7n, extra: cut }),
    ];
    const plan = planRedrive({
      id: 'r',
      letters,
      selected: () => true,
      parked: [park('c', 7n)],
      redriven: new Set(),
    });
    assert.deepEqual(values(plan), ['b@6']);
    assert.equal(plan.skipped.cut, 3, "a's letter and c's two");
    assert.deepEqual(plan.releases, [], 'c stays parked');

    // A parked dead letter cut down to no key still holds its sequence back (found by where it waits).
    const keyless = toDeadLetter({
      partition: 0,
      offset: dlqOffset++,
      timestamp: 1,
      key: null,
      value: null,
      headers: [
        h('__connect.errors.topic', 'in'),
        h('__connect.errors.partition', '0'),
        h('__connect.errors.offset', '11'),
        h('sluice.errors.parked', '10'),
        h('sluice.errors.omitted', 'value (9 bytes); key (3000000 bytes)'),
      ],
    });
    const withKeyless = planRedrive({
      id: 'r2',
      letters: [letter('d', 10n), keyless],
      selected: () => true,
      parked: [park('d', 10n)],
      redriven: new Set(),
    });
    assert.deepEqual(values(withKeyless), []);
    assert.deepEqual(withKeyless.releases, [], 'd stays parked');
  });
});

describe('planPurge', () => {
  const letters = [letter('a', 5n), letter('b', 6n, { parked: 2n })];
  const cuts = [{ partition: 0, low: letters[0]!.offset, cut: letters[1]!.offset + 1n }];

  it('refuses to delete dead letters of a key parked now, naming it and --force', () => {
    assert.throws(
      () => planPurge({ letters, parked: [park('b', 2n)], cuts, force: false }),
      (e: unknown) =>
        e instanceof PurgeRefusedError &&
        /still parked/.test(e.message) &&
        /--force/.test(e.message) &&
        /'b'/.test(e.message),
    );
  });

  it('deletes below the cut; with force also parked keys, counting them', () => {
    assert.deepEqual(planPurge({ letters, parked: [], cuts, force: false }), {
      partitions: [{ partition: 0, from: cuts[0]!.low, to: cuts[0]!.cut }],
      count: 2,
      parkedLost: 0,
    });
    assert.equal(planPurge({ letters, parked: [park('b', 2n)], cuts, force: true }).parkedLost, 1);
    const before = planPurge({
      letters,
      parked: [park('b', 2n)],
      cuts: [{ ...cuts[0]!, cut: letters[1]!.offset }],
      force: false,
    });
    assert.equal(before.count, 1, 'a cut before the parked dead letter is allowed');
  });
});
