import { type RangeBound, type RangeSpec } from '@sluice/kafka';

/**
 * A range as a replay's definition stores it: normalised (partitions and per-partition offsets
 * sorted), so the same range given twice — by `sluice replay` or by the console — compares equal
 * when a replay id is run again or resumed.
 */
export function describeReplayRange(spec: RangeSpec): string {
  const bound = (b: RangeBound | undefined, none: string): string => {
    if (b === undefined) return none;
    if ('offset' in b) return `offset ${b.offset}`;
    if ('timestamp' in b) return `time ${new Date(b.timestamp).toISOString()}`;
    return `offsets ${[...b.offsets]
      .sort(([a], [c]) => a - c)
      .map(([p, o]) => `${p}:${o}`)
      .join(',')}`;
  };
  const partitions = spec.partitions
    ? `partitions ${[...spec.partitions].sort((a, b) => a - b).join(',')}`
    : 'partitions all';
  return `${partitions}, from ${bound(spec.from, 'the start')}, to ${bound(spec.to, 'the end')}`;
}
