import { buildDeadLetterRecord, type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import {
  type BatchParking,
  type GateScope,
  type KeptParked,
  type KeyGate,
  keyGateFor,
} from '../failure/key-gate';
import { type ParkedKeys } from '../failure/key-parking';
import { isDependencyOutage, retry, type RetryOutcome, type RetryPolicy } from '@sluice/errors';
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
import { type PartitionState } from '../state/partition-state';
import { type RecordState } from '../state/record-state';
import { type StreamMetrics } from './stream-metrics';

export { type BatchParking, type KeptParked, keptParkedLog } from '../failure/key-gate';

/** Thrown into a record's work when its partition is given up; the record stays unfinished. */
export class RecordAbandonedError extends Error {
  constructor(record: StreamRecord, cause?: unknown) {
    super(`record ${record.topic}[${record.partition}]@${record.offset} abandoned`, { cause });
  }
}

/** What a record's work ended in (for counters and tests). */
export type RecordOutcome = 'processed' | 'dead-lettered' | 'parked';

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
 * the key gate (KeyGate: `onKeyFailure`'s parking, a redrive's replay and release), the processor
 * under the retry policy, then its outputs or its dead letter handed to the partition's delivery.
 *
 * Tracing: the work runs in a consumer span `process <topic>`, child of the trace context in the
 * record's headers, and every output carries that span's context (`traceparent`) in its own headers.
 * Done here per record, not by the kafkajs instrumentation: outputs of many records are sent in one
 * batch, where the instrumentation would inject whatever context is active at send time. Resolves only when the record
 * is done for good; rejects (record unfinished, offset not committed) when the partition is being
 * given up or the delivery cannot take the result.
 */
export class RecordRunner<O = OutputRecord> {
  private readonly gate: KeyGate;

  constructor(private readonly options: RecordRunnerOptions<O>) {
    this.gate = keyGateFor({
      group: options.group,
      onKeyFailure: options.onKeyFailure,
      className: options.processor.name,
      ...(options.onKeptParked ? { onKeptParked: options.onKeptParked } : {}),
    });
  }

  async run(
    record: StreamRecord,
    signal: AbortSignal,
    delivery: PartitionDelivery<O>,
    parked: ParkedKeys,
    changes: BatchParking,
    state?: PartitionState,
  ): Promise<RecordOutcome> {
    const started = performance.now();
    // Nothing of tracing is touched per record while the process does not trace.
    const span = tracingActive() ? tracing.process(record, this.options.group) : undefined;
    const scope: GateScope = { parked, changes, delivery };
    let outcome: RecordOutcome;
    try {
      outcome = span
        ? await span.run(() => this.decide(record, signal, delivery, scope, span, state))
        : await this.decide(record, signal, delivery, scope, undefined, state);
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

  /** The key gate, then the processor under the retry policy, then its outputs or its dead letter. */
  private async decide(
    record: StreamRecord,
    signal: AbortSignal,
    delivery: PartitionDelivery<O>,
    scope: GateScope,
    span: TraceSpan | undefined,
    state: PartitionState | undefined,
  ): Promise<RecordOutcome> {
    const admission = this.gate.admit(record, scope);
    if (admission.kind === 'park') {
      await this.gate.park(record, admission, scope);
      return 'parked';
    }
    const last: { state?: RecordState } = {};
    const outcome = await this.processWithRetry(record, signal, state, (s) => (last.state = s));
    const attemptState = last.state;
    if (outcome.ok) {
      await delivery.send(this.outputs(outcome.value, span), span);
      // The record's state writes join the batch; their changelog records are written when it commits.
      attemptState?.apply();
      await this.gate.onProcessed(record, admission, scope);
      return 'processed';
    }
    if (signal.aborted || outcome.reason === 'aborted') throw new RecordAbandonedError(record, outcome.error);
    // The registry (or another dependency every record needs) still away after the record's
    // retries: no record is at fault. The batch fails uncommitted, the runtime stops, and its
    // supervisor starts it again from the last commit after a backoff; nothing goes to the DLQ.
    if (isDependencyOutage(outcome.error)) throw outcome.error;
    await delivery.deadLetter(this.failureLetter(record, outcome), record.partition);
    await this.gate.onDeadLettered(record, admission, scope);
    return 'dead-lettered';
  }

  private processWithRetry(
    record: StreamRecord,
    signal: AbortSignal,
    state: PartitionState | undefined,
    onAttemptState: (state: RecordState) => void,
  ): Promise<RetryOutcome<readonly O[]>> {
    const { processor, metrics } = this.options;
    return retry(
      async (attempt) => {
        // Each attempt sees the state as the batch left it, never a failed attempt's writes.
        const attemptState = state?.beginRecord();
        if (attemptState) onAttemptState(attemptState);
        const context: ProcessContext = {
          signal,
          attempt,
          stage: inStage,
          ...(attemptState ? { state: attemptState } : {}),
        };
        return inStage('TRANSFORMATION', processor.name, () => processor.process(record, context));
      },
      this.options.retryPolicy,
      { signal, ...(metrics ? { onRetry: () => metrics.retried(record) } : {}) },
    );
  }

  /** Kafka outputs carry the record span's trace context and are counted by topic; a sink's results go as they are. */
  private outputs(results: readonly O[], span: TraceSpan | undefined): readonly O[] {
    if (!this.options.kafkaOutputs) return results;
    const records = results as readonly OutputRecord[];
    const traced = span ? withContext(records, span) : records;
    this.options.metrics?.produced(traced);
    return traced as readonly O[];
  }

  /** The dead letter of a record whose processing failed for good, naming the stage that failed. */
  private failureLetter(
    record: StreamRecord,
    outcome: Extract<RetryOutcome<unknown>, { ok: false }>,
  ): DeadLetterRecord {
    const failure =
      outcome.error instanceof StageFailure
        ? outcome.error
        : new StageFailure('TRANSFORMATION', this.options.processor.name, outcome.error);
    return buildDeadLetterRecord(
      record,
      { group: this.options.group, stage: failure.stage, className: failure.className },
      {
        kind: 'failed',
        error: failure.cause,
        attempts: outcome.attempts,
        firstAttemptAt: outcome.firstAttemptAt,
        lastAttemptAt: outcome.lastAttemptAt,
      },
    );
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
