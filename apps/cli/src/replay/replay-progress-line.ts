import { type ReplayProgress } from '@sluice/replay';

/**
 * The progress bar of `sluice replay` on stderr: on a terminal one line redrawn in place; else a
 * line every few seconds (logs stay readable); nothing when quiet.
 */
export class ReplayProgressLine {
  private lastLine = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
    private readonly everyMs = 5_000,
  ) {}

  update(p: ReplayProgress): void {
    if (this.quiet) return;
    const line = renderProgress(p);
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < this.everyMs && p.done < p.total) return;
    this.lastLine = now;
    this.stream.write(`${line}\n`);
  }

  /** Ends the redrawn line so what follows starts on its own. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function renderProgress(p: ReplayProgress): string {
  const ratio = p.total === 0n ? 1 : Number(p.done) / Number(p.total);
  const width = 24;
  const filled = Math.round(ratio * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const eta = p.etaSeconds === undefined ? '?' : formatSeconds(p.etaSeconds);
  return (
    `replay ${p.replayId} [${bar}] ${(ratio * 100).toFixed(1)}% ${p.done}/${p.total} offsets, ` +
    `${p.published} published${p.skipped > 0 ? `, ${p.skipped} skipped` : ''}, ` +
    `${Math.round(p.offsetsPerSecond)}/s, ETA ${eta}`
  );
}

function formatSeconds(s: number): string {
  const total = Math.ceil(s);
  const m = Math.floor(total / 60);
  return m > 0 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}
