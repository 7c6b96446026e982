import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timeArg, UsageError } from '../cli-errors';
import {
  describeRange,
  offsetBound,
  rangeFromFlags,
  type ReplayFlags,
  replayMode,
  timeBound,
} from './replay-flags';

const flags = (extra: Partial<ReplayFlags>): ReplayFlags => ({
  fromOffset: [],
  toOffset: [],
  partition: [],
  output: 'text',
  ...extra,
});

describe('replay flags', () => {
  it('reads one offset for all partitions, or one per partition', () => {
    assert.deepEqual(offsetBound('--from-offset', ['42']), { offset: 42n });
    assert.deepEqual(offsetBound('--from-offset', ['0:5', '2:7']), {
      offsets: new Map([
        [0, 5n],
        [2, 7n],
      ]),
    });
    assert.equal(offsetBound('--from-offset', []), undefined);
    assert.throws(() => offsetBound('--to-offset', ['1:2', '1:3']), /--to-offset names partition 1 twice/);
    assert.throws(() => offsetBound('--to-offset', ['x']), UsageError);
  });

  it('reads ISO-8601 times and epoch ms, and nothing else', () => {
    assert.deepEqual(timeBound('--from-time', '2026-01-31T12:00:00Z'), {
      timestamp: Date.parse('2026-01-31T12:00:00Z'),
    });
    assert.deepEqual(timeBound('--from-time', '1700000000000'), { timestamp: 1_700_000_000_000 });
    assert.throws(() => timeBound('--to-time', 'last tuesday'), /--to-time expects an ISO-8601 time/);
    assert.throws(() => timeBound('--to-time', '2026-13-45'), /--to-time expects/);
    // The same parser serves `sluice dlq --from-time/--to-time/--before`.
    assert.equal(timeArg('--before')('2026-01-02'), Date.UTC(2026, 0, 2));
    assert.equal(timeArg('--before')(' 1700000000000 '), 1_700_000_000_000);
    for (const bad of ['', 'yesterday', '12abc', '2026-13-45', '2024-02-30', '-1', '99999999999999999999'])
      assert.throws(
        () => timeArg('--before')(bad),
        (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.message.includes(`--before expects`),
      );
  });

  it('describes a range the same way whatever the order of its flags', () => {
    const a = rangeFromFlags(flags({ partition: [2, 0], fromOffset: ['2:9', '0:1'] }));
    const b = rangeFromFlags(flags({ partition: [0, 2], fromOffset: ['0:1', '2:9'] }));
    assert.equal(describeRange(a), 'partitions 0,2, from offsets 0:1,2:9, to the end');
    assert.equal(describeRange(a), describeRange(b));
  });

  it('takes a group reset with a start only: an end or a re-publish flag is a usage error', () => {
    assert.equal(replayMode(flags({ topic: 't', group: 'g', fromTime: '0' })), 'reset');
    assert.equal(replayMode(flags({ topic: 't', toTopic: 'u', toOffset: ['9'] })), 'republish');
    assert.throws(
      () => replayMode(flags({ topic: 't', group: 'g', toOffset: ['0:9'] })),
      (e: Error) => e instanceof UsageError && e.message === '--to-offset only goes with --to-topic',
    );
    assert.throws(
      () => replayMode(flags({ topic: 't', group: 'g', toTime: '0', rate: 5 })),
      (e: Error) => e instanceof UsageError && e.message === '--to-time, --rate only go with --to-topic',
    );
  });

  it('refuses --dry-run beside --resume: a resume re-publishes, it cannot be a dry run', () => {
    assert.equal(replayMode(flags({ resume: 'r-1' })), 'resume');
    assert.throws(
      () => replayMode(flags({ resume: 'r-1', dryRun: true })),
      (e: Error) =>
        e instanceof UsageError && e.message === '--dry-run only goes with --group; --resume re-publishes',
    );
  });
});
