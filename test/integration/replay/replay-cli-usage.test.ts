// `sluice replay` bad flags through the real CLI: each is exit 2 with one line naming the flag —
// malformed offsets and times, from after to, no mode or both, flags of the other mode, an
// unknown partition of a real topic, --resume mixed with a range.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSluice, uniqueName } from '@sluice/test-support';
import { errorLines, ReplayBed } from './replay-harness';

describe('sluice replay usage errors', { timeout: 120_000 }, () => {
  let bed: ReplayBed;
  let topic: string;

  before(async () => {
    bed = await ReplayBed.open();
    topic = await bed.createTopic(uniqueName('it.replay.usage'), 3);
  });

  after(async () => {
    await bed?.close();
  });

  const cases: Array<[string, string[], RegExp]> = [
    [
      'a malformed offset',
      ['--to-topic', 'x', '--from-offset', 'abc'],
      /^sluice: --from-offset expects OFFSET or PARTITION:OFFSET, got 'abc'$/,
    ],
    [
      'a negative offset',
      ['--to-topic', 'x', '--to-offset', '0:-4'],
      /^sluice: --to-offset expects OFFSET or PARTITION:OFFSET, got '0:-4'$/,
    ],
    [
      'both offset forms',
      ['--to-topic', 'x', '--from-offset', '5', '--from-offset', '1:7'],
      /^sluice: --from-offset: give one OFFSET for every partition, or PARTITION:OFFSET per partition$/,
    ],
    [
      'from after to',
      ['--to-topic', 'x', '--from-offset', '10', '--to-offset', '5'],
      /^sluice: --from-offset: from offset 10 is after to offset 5$/,
    ],
    [
      'from after to in time',
      ['--to-topic', 'x', '--from-time', '2026-02-01T00:00:00Z', '--to-time', '2026-01-01T00:00:00Z'],
      /^sluice: --from-time: from 2026-02-01T00:00:00.000Z is after to 2026-01-01T00:00:00.000Z$/,
    ],
    [
      'a malformed time',
      ['--to-topic', 'x', '--from-time', 'yesterday'],
      /^sluice: --from-time expects an ISO-8601 time .* got 'yesterday'$/,
    ],
    [
      'offset and time for one end',
      ['--to-topic', 'x', '--from-offset', '1', '--from-time', '0'],
      /^sluice: give --from-offset or --from-time, not both$/,
    ],
    [
      'neither mode',
      [],
      /^sluice: give --to-topic TARGET to re-publish, or --group G to reset a consumer group$/,
    ],
    [
      'both modes',
      ['--to-topic', 'x', '--group', 'g'],
      /^sluice: give --to-topic \(re-publish\) or --group \(reset a consumer group\), not both$/,
    ],
    [
      'a re-publish flag with --group',
      ['--group', 'g', '--rate', '10'],
      /^sluice: --rate only goes with --to-topic$/,
    ],
    [
      'a range end with --group (a reset has only a start)',
      ['--group', 'g', '--from-offset', '5', '--to-time', '2026-01-01T00:00:00Z'],
      /^sluice: --to-time only goes with --to-topic$/,
    ],
    [
      'two re-publish flags with --group',
      ['--group', 'g', '--to-offset', '9', '--rate', '10'],
      /^sluice: --to-offset, --rate only go with --to-topic$/,
    ],
    [
      '--dry-run with --to-topic',
      ['--to-topic', 'x', '--dry-run'],
      /^sluice: --dry-run only goes with --group$/,
    ],
    [
      'a zero rate',
      ['--to-topic', 'x', '--rate', '0'],
      /^sluice: --rate expects a whole number of at least 1, got '0'$/,
    ],
    [
      'a bad replay id',
      ['--to-topic', 'x', '--replay-id', 'a b'],
      /^sluice: --replay-id expects letters, digits/,
    ],
    [
      'an unknown partition (republish)',
      ['--to-topic', 'TARGET', '--partition', '7'],
      /^sluice: --partition: topic .* has no partition 7 \(it has 3: 0\.\.2\)$/,
    ],
    [
      'an unknown partition (reset)',
      ['--group', 'g', '--from-offset', '5:1'],
      /^sluice: --from-offset: topic .* has no partition 5 \(it has 3: 0\.\.2\)$/,
    ],
  ];

  for (const [name, args, message] of cases) {
    it(`exit 2 for ${name}`, async () => {
      const target = args.includes('TARGET')
        ? await bed.createTopic(uniqueName('it.replay.usage-target'), 3)
        : '';
      const run = runSluice(['replay', '--topic', topic, ...args.map((a) => (a === 'TARGET' ? target : a))]);
      assert.equal(run.code, 2, `${run.stdout}${run.stderr}`);
      const lines = errorLines(run.stderr);
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], message);
    });
  }

  it('exit 2 for --resume with a range, and without --topic for a new replay', () => {
    const resume = runSluice(['replay', '--resume', 'abc', '--from-offset', '4']);
    assert.equal(resume.code, 2);
    assert.deepEqual(errorLines(resume.stderr), [
      "sluice: --resume takes the topic, range and target from the replay's checkpoint; leave out the range flags",
    ]);
    const noTopic = runSluice(['replay', '--to-topic', 'x']);
    assert.equal(noTopic.code, 2);
    assert.deepEqual(errorLines(noTopic.stderr), ['sluice: --topic is required (or --resume <id>)']);
  });

  it('exit 1 naming the replay for --resume of an unknown id', () => {
    const run = runSluice(['replay', '--resume', uniqueName('nothing')]);
    assert.equal(run.code, 1);
    assert.match(
      errorLines(run.stderr).join('\n'),
      /^sluice: no replay nothing-\S+ is recorded \(nothing to resume\)$/,
    );
  });
});
