/**
 * One measured figure: several runs of the same measurement, optionally beside its baseline
 * measured in the same harness run (the issue that asked for the figure names the baseline).
 */
export interface BenchFigure {
  name: string;
  unit: string;
  runs: number[];
  baseline?: { name: string; runs: number[] };
  /** The target, in words, e.g. ">= 5,000/s" (shown beside the figure, never asserted). */
  goal?: string;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/** The p-th percentile (0..100) of a sample, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
