import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ReplayProgress } from '@sluice/replay';
import { renderProgress, ReplayProgressLine } from './replay-progress-line';

const progress = (done: bigint, total = 1000n): ReplayProgress => ({
  replayId: 'r1',
  total,
  done,
  published: Number(done),
  skipped: 0,
  offsetsPerSecond: 100,
  etaSeconds: Number(total - done) / 100,
});

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
}

describe('replay progress line', () => {
  it('renders a bar, the counts, the rate and the ETA', () => {
    assert.equal(
      renderProgress(progress(250n)),
      'replay r1 [######..................] 25.0% 250/1000 offsets, 250 published, 100/s, ETA 8s',
    );
    assert.match(renderProgress({ ...progress(0n, 100_000n), etaSeconds: undefined }), /ETA \?$/);
    assert.match(renderProgress({ ...progress(0n, 100_000n), etaSeconds: 125 }), /ETA 2m05s$/);
  });

  it('redraws one line on a terminal and ends it once', () => {
    const { writes, stream: s } = stream(true);
    const line = new ReplayProgressLine(s, false);
    line.update(progress(100n));
    line.update(progress(200n));
    line.finish();
    assert.equal(writes.length, 3);
    assert.ok(writes[0].startsWith('\r\x1b[2K') && writes[1].startsWith('\r\x1b[2K'));
    assert.equal(writes[2], '\n');
  });

  it('writes a line every few seconds when not a terminal, the last one always; nothing when quiet', () => {
    const { writes, stream: s } = stream(false);
    const line = new ReplayProgressLine(s, false, 60_000);
    line.update(progress(100n));
    line.update(progress(200n));
    line.update(progress(1000n));
    line.finish();
    assert.equal(writes.length, 2);
    assert.match(writes[1], /100\.0% 1000\/1000/);
    const quiet = stream(true);
    new ReplayProgressLine(quiet.stream, true).update(progress(5n));
    assert.deepEqual(quiet.writes, []);
  });
});
