import {
  counter,
  gauge,
  histogram,
  LATENCY_BUCKETS_SECONDS,
  SOURCE_COMMIT_TS_HEADER,
} from '@sluice/observability';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';

// The stream runtime's series (docs/metrics.md). Labels: group, topic, outcome, reason, partition
// (all bounded by configuration); never keys or offsets.
const records = counter({
  name: 'sluice_stream_records_total',
  help: 'Records consumed and finished, by input topic and outcome (processed, dead-lettered, parked).',
  labelNames: ['group', 'topic', 'outcome'],
});
const outputs = counter({
  name: 'sluice_stream_output_records_total',
  help: 'Records produced (handed to delivery), by output topic.',
  labelNames: ['group', 'topic'],
});
const duration = histogram({
  name: 'sluice_stream_record_duration_seconds',
  help: "A record's work from start to final outcome (retries included), by input topic.",
  labelNames: ['group', 'topic'],
  buckets: LATENCY_BUCKETS_SECONDS,
});
const endToEnd = histogram({
  name: 'sluice_end_to_end_latency_seconds',
  help: "Source transaction commit to this stage's finished record (the sink's: to its write), by input topic.",
  labelNames: ['group', 'topic'],
  buckets: LATENCY_BUCKETS_SECONDS,
});
const deadLetters = counter({
  name: 'sluice_dlq_records_total',
  help: 'Records written to the dead-letter topic, by input topic and reason (failed, parked).',
  labelNames: ['group', 'topic', 'reason'],
});
const retries = counter({
  name: 'sluice_stream_retries_total',
  help: 'Retried attempts of records after a retriable failure, by input topic.',
  labelNames: ['group', 'topic'],
});
const lag = gauge({
  name: 'sluice_consumer_lag_records',
  help: 'High watermark minus committed offset per assigned partition.',
  labelNames: ['group', 'topic', 'partition'],
});
const assigned = gauge({
  name: 'sluice_stream_assigned_partitions',
  help: 'Partitions assigned to this member.',
  labelNames: ['group'],
});
const member = gauge({
  name: 'sluice_stream_group_member',
  help: '1 while this instance is a settled member of its consumer group (joined, not rebalancing).',
  labelNames: ['group'],
});

const restoreRestored = gauge({
  name: 'sluice_stream_state_restore_records',
  help: 'Changelog records read by the restore of a state store, per assigned partition.',
  labelNames: ['group', 'store', 'partition'],
});
const restoreTotal = gauge({
  name: 'sluice_stream_state_restore_total_records',
  help: "Records of a state store's changelog partition to read when its restore began (end minus start offset).",
  labelNames: ['group', 'store', 'partition'],
});
const restoreDone = gauge({
  name: 'sluice_stream_state_restored',
  help: '1 once the state store of an assigned partition is restored (records are processed only then).',
  labelNames: ['group', 'store', 'partition'],
});

const stalled = gauge({
  name: 'sluice_stream_stalled',
  help: '1 while records wait and nothing was committed for liveness.stallAfterMs (then /health/live fails).',
  labelNames: ['group'],
});
const restarts = counter({
  name: 'sluice_stream_restarts_total',
  help: 'Runtimes replaced by their supervisor, by reason (failure, stalled); each resumes from the last commit.',
  labelNames: ['group', 'reason'],
});

const mirroredOffsets = counter({
  name: 'sluice_stream_offset_mirror_commits_total',
  help: "Commits of a position kept outside Kafka (a sink's target database) to its consumer group, by outcome (committed, failed); informational.",
  labelNames: ['group', 'outcome'],
});

/** A GroupOffsetMirror's series: its commits to the group, by outcome. */
export function offsetMirrorMetrics(group: string) {
  return {
    committed: mirroredOffsets.bind({ group, outcome: 'committed' }),
    failed: mirroredOffsets.bind({ group, outcome: 'failed' }),
  };
}

/** A supervisor's series: its restarts, and whether its runtime is stalled (read at each scrape). */
export function supervisorMetrics(group: string) {
  return {
    restarts: { inc: ({ reason }: { reason: string }) => restarts.inc({ group, reason }) },
    watchStalled: (isStalled: () => boolean) =>
      stalled.collectWith((g) => g.set({ group }, isStalled() ? 1 : 0)),
  };
}

interface TopicSeries {
  readonly processed: { inc(value?: number): void };
  readonly duration: { observe(value: number): void };
  readonly endToEnd: { observe(value: number): void };
}

/** Feeds the runtime's series: per record from RecordRunner, per scrape from the runtime's state. */
export class StreamMetrics {
  private readonly byTopic = new Map<string, TopicSeries>();
  private readonly outputsByTopic = new Map<string, { inc(value?: number): void }>();

  constructor(private readonly group: string) {}

  /** A record reached its outcome after `seconds` of work. */
  finished(record: StreamRecord, outcome: 'processed' | 'dead-lettered' | 'parked', seconds: number): void {
    const series = this.series(record.topic);
    if (outcome === 'processed') series.processed.inc();
    else {
      records.inc({ group: this.group, topic: record.topic, outcome });
      deadLetters.inc({
        group: this.group,
        topic: record.topic,
        reason: outcome === 'parked' ? 'parked' : 'failed',
      });
    }
    series.duration.observe(seconds);
  }

  /**
   * A batch became durable up to `nextOffset` (its outputs visible downstream, a sink's rows
   * committed): end-to-end latency of each of its records that carries a source commit time.
   */
  readonly committed = (batch: readonly StreamRecord[], nextOffset: bigint): void => {
    const now = Date.now();
    for (const record of batch) {
      if (record.offset >= nextOffset) break;
      const committedAt = sourceCommitMs(record);
      if (committedAt !== undefined)
        this.series(record.topic).endToEnd.observe(Math.max(0, now - committedAt) / 1000);
    }
  };

  retried(record: StreamRecord): void {
    retries.inc({ group: this.group, topic: record.topic });
  }

  produced(records: readonly OutputRecord[]): void {
    for (const { topic } of records) {
      let bound = this.outputsByTopic.get(topic);
      if (bound === undefined)
        this.outputsByTopic.set(topic, (bound = outputs.bind({ group: this.group, topic })));
      bound.inc();
    }
  }

  /** Lag, assignment and membership read at each scrape; returns the removal (on stop). */
  watch(state: {
    partitionProgress(): ReadonlyArray<{ topic: string; partition: number; lag?: bigint }>;
    assignedPartitions(): readonly unknown[];
    isSettledMember(): boolean;
    stateRestoreProgress?(): ReadonlyArray<{
      store: string;
      partition: number;
      restoredRecords: number;
      totalRecords: number;
      done: boolean;
    }>;
  }): () => void {
    const group = this.group;
    const removals = [
      lag.collectWith((g) => {
        for (const p of state.partitionProgress()) {
          if (p.lag !== undefined)
            g.set({ group, topic: p.topic, partition: String(p.partition) }, Number(p.lag));
        }
      }),
      assigned.collectWith((g) => g.set({ group }, state.assignedPartitions().length)),
      member.collectWith((g) => g.set({ group }, state.isSettledMember() ? 1 : 0)),
      ...(state.stateRestoreProgress
        ? [
            restoreRestored.collectWith((g) => {
              for (const p of state.stateRestoreProgress!())
                g.set({ group, store: p.store, partition: String(p.partition) }, p.restoredRecords);
            }),
            restoreTotal.collectWith((g) => {
              for (const p of state.stateRestoreProgress!())
                g.set({ group, store: p.store, partition: String(p.partition) }, p.totalRecords);
            }),
            restoreDone.collectWith((g) => {
              for (const p of state.stateRestoreProgress!())
                g.set({ group, store: p.store, partition: String(p.partition) }, p.done ? 1 : 0);
            }),
          ]
        : []),
    ];
    return () => removals.forEach((remove) => remove());
  }

  private series(topic: string): TopicSeries {
    let series = this.byTopic.get(topic);
    if (series === undefined) {
      const labels = { group: this.group, topic };
      series = {
        processed: records.bind({ ...labels, outcome: 'processed' }),
        duration: duration.bind(labels),
        endToEnd: endToEnd.bind(labels),
      };
      this.byTopic.set(topic, series);
    }
    return series;
  }
}

/** The source commit time a CDC event carries (header `sluice.source.ts`), epoch ms. */
function sourceCommitMs(record: StreamRecord): number | undefined {
  const { headers } = record;
  for (let i = headers.length - 1; i >= 0; i--) {
    const header = headers[i]!;
    if (header.key === SOURCE_COMMIT_TS_HEADER) {
      const ms = Number(header.value?.toString('latin1'));
      return Number.isFinite(ms) ? ms : undefined;
    }
  }
  return undefined;
}
