import { buildDeadLetterRecord, type DeadLetterContext } from '../dead-letter/dead-letter-headers';
import { readRedriveHeaders, type RedriveMark } from '../dead-letter/redrive-headers';
import { type ParkedKeys } from '../failure/key-parking';
import { parkedMarker, releaseMarker } from '../failure/parked-key-record';
import { retry, type RetryPolicy } from '@sluice/errors';
import { type PartitionDelivery } from '../delivery/partition-delivery';
import { type ProcessContext, type RecordProcessor } from '../processor/record-processor';
import { inStage, StageFailure } from '../processor/stage-failure';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import {
  MessageTracing,
  SLUICE_OUTCOME,
  type TraceSpan,
  tracingActive,
  withTraceContext,
} from '@sluice/observability';
import { type StreamMetrics } from './stream-metrics';

/** Thrown into a record's work when its partition is given up; the record stays unfinished. */
export class RecordAbandonedError extends Error {
  constructor(record: StreamRecord, cause?: unknown) {
    super(`record ${record.topic}[${record.partition}]@${record.offset} abandoned`, { cause });
  }
}

/** Parking changes of one batch, undone when the batch is given up (its markers are not committed). */
export interface BatchParking {
  /** Records whose failure parked their key in this batch. */
  readonly parked: StreamRecord[];
  /** Keys released in this batch because their failed record succeeded when redone. */
  readonly released: Array<{ readonly key: Buffer; readonly failedOffset: bigint }>;
  /** Redrives of a parked key broken in this batch by a copy that failed again. */
  readonly brokenRedrives?: Array<{ readonly key: Buffer; readonly redriveId: string }>;
}

/** What a record's work ended in (for counters and tests). */
export type RecordOutcome = 'processed' | 'dead-lettered' | 'parked';

/** A parked key whose redrive was processed but which stays parked: records parked after the redrive's selection. */
export interface KeptParked {
  readonly record: StreamRecord;
  readonly failedOffset: bigint;
  readonly parkedAfter: readonly bigint[];
}

/**
 * A kept-parked redrive as the fields and message of a log line: the apps warn with it, so an
 * operator sees why the key is still parked and that another redrive will take the rest.
 */
export function keptParkedLog(kept: KeptParked): [Record<string, string | number | string[]>, string] {
  const { record, failedOffset, parkedAfter } = kept;
  return [
    {
      topic: record.topic,
      partition: record.partition,
      key: record.key?.toString('utf8') ?? '',
      failedOffset: String(failedOffset),
      parkedAfter: parkedAfter.map(String),
    },
    `redrive of ${record.topic}[${record.partition}] key parked at ${failedOffset} processed; ` +
      `the key stays parked behind ${parkedAfter.length} record(s) parked after the redrive read the DLQ: redrive again`,
  ];
}

export interface RecordRunnerOptions<O = OutputRecord> {
  readonly group: string;
  readonly processor: RecordProcessor<O>;
  readonly retryPolicy: RetryPolicy;
  readonly onKeyFailure: 'skip' | 'park';
  readonly onOutcome?: (record: StreamRecord, outcome: RecordOutcome) => void;
  /** A redrive's release copy was processed but the key stays parked (a further redrive is needed). */
  readonly onKeptParked?: (kept: KeptParked) => void;
  readonly metrics?: StreamMetrics;
  /**
   * Kafka outputs (`O = OutputRecord`): each carries the record's trace context and is counted by
   * topic. Left out for a sink's own results, which are not produced to Kafka.
   */
  readonly kafkaOutputs?: boolean;
}

const tracing = new MessageTracing('@sluice/stream');

/**
 * The work of one record, from start to a final outcome — the one place per-record work starts:
 * parked-key routing, the processor under the retry policy, then its outputs or its dead letter
 * handed to the partition's delivery.
 *
 * Tracing: the work runs in a consumer span `process <topic>`, child of the trace context in the
 * record's headers, and every output carries that span's context (`traceparent`) in its own headers.
 * Done here per record, not by the kafkajs instrumentation: outputs of many records are sent in one
 * batch, where the instrumentation would inject whatever context is active at send time. Resolves only when the record
 * is done for good; rejects (record unfinished, offset not committed) when the partition is being
 * given up or the delivery cannot take the result.
 */
export class RecordRunner<O = OutputRecord> {
  constructor(private readonly options: RecordRunnerOptions<O>) {}

  async run(
    record: StreamRecord,
    signal: AbortSignal,
    delivery: PartitionDelivery<O>,
    parked: ParkedKeys,
    changes: BatchParking,
  ): Promise<RecordOutcome> {
    const started = performance.now();
    // Nothing of tracing is touched per record while the process does not trace.
    const span = tracingActive() ? tracing.process(record, this.options.group) : undefined;
    let outcome: RecordOutcome;
    try {
      outcome = span
        ? await span.run(() => this.decide(record, signal, delivery, parked, changes, span))
        : await this.decide(record, signal, delivery, parked, changes, undefined);
    } catch (error) {
      span?.end(error);
      throw error;
    }
    if (span) {
      span.setAttributes({ [SLUICE_OUTCOME]: outcome });
      span.end();
    }
    this.options.metrics?.finished(record, outcome, (performance.now() - started) / 1000);
    this.options.onOutcome?.(record, outcome);
    return outcome;
  }

  private async decide(
    record: StreamRecord,
    signal: AbortSignal,
    delivery: PartitionDelivery<O>,
    parked: ParkedKeys,
    changes: BatchParking,
    span: TraceSpan | undefined,
  ): Promise<RecordOutcome> {
    const { processor, group } = this.options;
    const behind = this.options.onKeyFailure === 'park' ? parked.behind(record.key) : undefined;
    // A record at or below the failed offset is redone after a batch that was not committed (a
    // restored park may be one step ahead of the source offset): it runs as it did the first time.
    // A redriven copy of the key's parked sequence is that sequence replayed in order: processed.
    let replay: RedriveMark | undefined;
    if (behind !== undefined && record.offset > behind) {
      const mark = readRedriveHeaders(record.headers);
      if (mark?.parked !== undefined && parked.replays(record.key, mark.id, mark.parked)) replay = mark;
    }
    if (behind !== undefined && record.offset > behind && replay === undefined) {
      const context: DeadLetterContext = { group, stage: 'TRANSFORMATION', className: processor.name };
      await delivery.deadLetter(
        buildDeadLetterRecord(record, context, { kind: 'parked', behindOffset: behind }),
        record.partition,
      );
      parked.noteParked(record.key, record.offset);
      return 'parked';
    }

    const outcome = await retry(
      async (attempt) => {
        const context: ProcessContext = { signal, attempt, stage: inStage };
        return inStage('TRANSFORMATION', processor.name, () => processor.process(record, context));
      },
      this.options.retryPolicy,
      { signal, ...(this.options.metrics ? { onRetry: () => this.options.metrics!.retried(record) } : {}) },
    );
    if (outcome.ok) {
      let outputs = outcome.value;
      if (this.options.kafkaOutputs) {
        const records = outputs as readonly OutputRecord[];
        const traced = span ? withContext(records, span) : records;
        this.options.metrics?.produced(traced);
        outputs = traced as readonly O[];
      }
      await delivery.send(outputs, span);
      if (replay?.release !== undefined)
        await this.releaseAfterRedrive(record, replay.release, delivery, parked, changes);
      if (behind === record.offset) {
        // The failure it was parked behind did not happen this time (a retriable cause went away).
        parked.release(record.key);
        changes.released.push({ key: record.key!, failedOffset: record.offset });
        await delivery.deadLetter(releaseMarker(group, record, record.key!), record.partition);
      }
      return 'processed';
    }
    if (signal.aborted || outcome.reason === 'aborted') throw new RecordAbandonedError(record, outcome.error);

    const failure =
      outcome.error instanceof StageFailure
        ? outcome.error
        : new StageFailure('TRANSFORMATION', processor.name, outcome.error);
    const deadLetter = buildDeadLetterRecord(
      record,
      { group, stage: failure.stage, className: failure.className },
      {
        kind: 'failed',
        error: failure.cause,
        attempts: outcome.attempts,
        firstAttemptAt: outcome.firstAttemptAt,
        lastAttemptAt: outcome.lastAttemptAt,
      },
    );
    await delivery.deadLetter(deadLetter, record.partition);
    if (replay !== undefined) {
      // The replay stops here; the rest of this redrive's copies of the key are parked behind it.
      parked.breakRedrive(record.key, replay.id);
      changes.brokenRedrives?.push({ key: record.key!, redriveId: replay.id });
    }
    if (this.options.onKeyFailure === 'park' && parked.park(record.key, record.offset)) {
      changes.parked.push(record);
      // Durable with the dead letter: the same transaction, or acknowledged before the commit.
      await delivery.deadLetter(parkedMarker(group, record, record.key!, record.offset), record.partition);
    }
    return 'dead-lettered';
  }

  /**
   * The last copy of a parked sequence was processed: the key is released — the tombstone written
   * with the batch, like a redone failed record's — unless records of the key were parked after the
   * redrive's selection (above `through`); those wait for the next redrive, still behind the park.
   */
  private async releaseAfterRedrive(
    record: StreamRecord,
    release: NonNullable<RedriveMark['release']>,
    delivery: PartitionDelivery<O>,
    parked: ParkedKeys,
    changes: BatchParking,
  ): Promise<void> {
    const later = parked.parkedAfter(record.key, release.through);
    if (later.length > 0) {
      this.options.onKeptParked?.({ record, failedOffset: release.failedOffset, parkedAfter: later });
      return;
    }
    parked.release(record.key);
    changes.released.push({ key: record.key!, failedOffset: release.failedOffset });
    await delivery.deadLetter(releaseMarker(this.options.group, record, record.key!), record.partition);
  }
}

/** Outputs with the record span's trace context in place of any passed-through one. */
function withContext(outputs: readonly OutputRecord[], span: TraceSpan): readonly OutputRecord[] {
  let copy: OutputRecord[] | undefined;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i]!;
    const headers = withTraceContext(output.headers, span);
    if (headers === output.headers && copy === undefined) continue; // passed through as it was
    copy ??= outputs.slice(0, i);
    copy.push(headers === output.headers ? output : { ...output, headers });
  }
  return copy ?? outputs;
}
