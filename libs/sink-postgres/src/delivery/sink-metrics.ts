import { counter } from '@sluice/observability';

// sink-postgres's series (docs/metrics.md). Labels are bounded by configuration: the group, and in
// two-way sync the direction (`<peer site>-><site>`); `none` for a one-way sink.
const conflicts = counter({
  name: 'sluice_sink_conflicts_total',
  help: 'Changes overruled by the target row (last writer wins, source priority), each recorded in sluice_conflicts.',
  labelNames: ['group', 'direction'],
});

/** The conflicts counter of one sink, bound once. */
export function sinkConflictsCounter(
  group: string,
  sync?: { readonly site: string; readonly peerSite: string },
): { inc(value?: number): void } {
  return conflicts.bind({ group, direction: sync ? `${sync.peerSite}->${sync.site}` : 'none' });
}
