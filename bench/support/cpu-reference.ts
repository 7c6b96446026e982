import { createHash } from 'node:crypto';

/**
 * A fixed piece of single-threaded CPU work (SHA-256 over 128 MiB, then 30 million floating-point
 * steps), timed in milliseconds: the median of three. The shared machine's speed moves between
 * runs (a whole run's figures have moved by a third together, baselines included), so each run
 * says how fast the machine was as it began and as it ended; figures of two runs compare only
 * beside these.
 */
export function cpuReferenceMs(): number {
  const block = Buffer.alloc(2 ** 20, 1);
  const times: number[] = [];
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 128; i++) sink += createHash('sha256').update(block).digest()[0]!;
    for (let i = 0; i < 30_000_000; i++) sink += Math.sqrt(i) % 3;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  // Keeps the work observable, so that no compiler step can drop it.
  if (Number.isNaN(sink)) throw new Error('unreachable');
  return times.sort((a, b) => a - b)[1]!;
}
