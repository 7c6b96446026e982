import { counter, gauge } from '@sluice/observability';
import type { SourcePhase, SourceStatus } from './source-status';

// The CDC source's series (docs/metrics.md). Label `source` is the topic prefix; `slot` and
// `phase` are bounded by configuration.
const events = counter({
  name: 'sluice_source_events_total',
  help: 'Change events handed to Kafka (snapshot reads and streamed changes).',
  labelNames: ['source'],
});
const originSkipped = counter({
  name: 'sluice_source_origin_skipped_changes_total',
  help: "Row changes left out for their replication origin (events.skipOrigins as a list): a sink's own writes in two-way sync.",
  labelNames: ['source'],
});
const slotLag = gauge({
  name: 'sluice_replication_slot_lag_bytes',
  help: "Server WAL end minus the slot's confirmed position: WAL the slot retains.",
  labelNames: ['source', 'slot'],
});
const pending = gauge({
  name: 'sluice_source_pending_events',
  help: 'Events handed to Kafka and not yet acknowledged, plus events of held tables.',
  labelNames: ['source'],
});
const snapshotRowsDone = gauge({
  name: 'sluice_snapshot_rows_done',
  help: 'Rows read by the snapshot under way (0 when none runs).',
  labelNames: ['source'],
});
const snapshotRowsTotal = gauge({
  name: 'sluice_snapshot_rows_total',
  help: 'Rows the snapshot under way expects to read (estimate; 0 when none runs).',
  labelNames: ['source'],
});
const heldTables = gauge({
  name: 'sluice_source_held_tables',
  help: 'Tables held back because the registry refused their new schema.',
  labelNames: ['source'],
});
const phase = gauge({
  name: 'sluice_source_phase',
  help: '1 for the phase the source is in, 0 for the others.',
  labelNames: ['source', 'phase'],
});

const stalled = gauge({
  name: 'sluice_source_stalled',
  help: '1 while events wait and nothing moved for liveness.stallAfterMs (then /health/live fails).',
  labelNames: ['source'],
});
const restarts = counter({
  name: 'sluice_source_restarts_total',
  help: 'Runs started again from the confirmed position: after a failure, or after a stall.',
  labelNames: ['source', 'reason'],
});

const PHASES: readonly SourcePhase[] = [
  'starting',
  'snapshotting',
  'streaming',
  'paused',
  'retrying',
  'stopped',
  'failed',
];

/** The per-event counter of one source, bound once. */
export function sourceEventsCounter(source: string): { inc(value?: number): void } {
  return events.bind({ source });
}

/** The skipped-own-changes counter of one source, bound once. */
export function sourceOriginSkippedCounter(source: string): { inc(value?: number): void } {
  return originSkipped.bind({ source });
}

/** Counts the source's restarts by reason (`failure`, `stalled`). */
export function sourceRestartsCounter(source: string): { inc(labels: { reason: string }): void } {
  return { inc: ({ reason }) => restarts.inc({ source, reason }) };
}

/** Registers the status-derived series of a source, read at each scrape; returns the removal. */
export function watchSourceMetrics(source: { status(): SourceStatus }): () => void {
  const removals = [
    slotLag.collectWith((g) => {
      const s = source.status();
      if (s.lagBytes !== undefined) g.set({ source: s.name, slot: s.slot }, s.lagBytes);
    }),
    pending.collectWith((g) => {
      const s = source.status();
      g.set({ source: s.name }, s.eventsPending);
    }),
    snapshotRowsDone.collectWith((g) => {
      const s = source.status();
      g.set({ source: s.name }, s.snapshot?.rowsDone ?? 0);
    }),
    snapshotRowsTotal.collectWith((g) => {
      const s = source.status();
      g.set({ source: s.name }, s.snapshot?.rowsTotal ?? 0);
    }),
    heldTables.collectWith((g) => {
      const s = source.status();
      g.set({ source: s.name }, s.heldTables.length);
    }),
    stalled.collectWith((g) => {
      const s = source.status();
      g.set({ source: s.name }, s.liveness.state === 'stalled' ? 1 : 0);
    }),
    phase.collectWith((g) => {
      const s = source.status();
      for (const p of PHASES) g.set({ source: s.name, phase: p }, p === s.phase ? 1 : 0);
    }),
  ];
  return () => removals.forEach((remove) => remove());
}
