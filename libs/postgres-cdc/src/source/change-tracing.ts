import {
  DB_NAMESPACE,
  DB_SYSTEM_NAME,
  MessageTracing,
  SLUICE_LSN,
  SLUICE_TX_ID,
  SOURCE_COMMIT_TS_HEADER,
  traceContextHeaders,
  type TraceSpan,
  tracingActive,
} from '@sluice/observability';
import type { Lsn } from '../lsn/lsn';

const tracing = new MessageTracing('@sluice/postgres-cdc');

/**
 * What a captured transaction's events carry beyond the envelope: its commit time (for end-to-end
 * latency downstream) and, when the process traces, the trace the transaction started.
 */
export class CapturedTransactionTrace {
  private readonly commitMs: string;
  /**
   * Untraced or not sampled, every event of the transaction carries the same (never mutated)
   * headers: the commit time and, not sampled, the root's context (flag 00), so the next hops make
   * the same decision. No span per event then.
   */
  private readonly shared: Readonly<Record<string, string>> | undefined;

  private constructor(
    commitTimeMicros: bigint,
    private readonly span: TraceSpan | undefined,
  ) {
    this.commitMs = String(commitTimeMicros / 1000n);
    if (span === undefined) this.shared = { [SOURCE_COMMIT_TS_HEADER]: this.commitMs };
    else if (!span.sampled) {
      const shared = traceContextHeaders(span);
      shared[SOURCE_COMMIT_TS_HEADER] = this.commitMs;
      this.shared = shared;
    }
  }

  /**
   * At a transaction's Begin: the root span `capture <database>` (one trace per transaction; the
   * sampler decides here for every hop after).
   */
  static begin(database: string, xid: number, lsn: Lsn, commitTimeMicros: bigint): CapturedTransactionTrace {
    const span = tracingActive()
      ? tracing.root(`capture ${database}`, () => ({
          [DB_SYSTEM_NAME]: 'postgresql',
          [DB_NAMESPACE]: database,
          [SLUICE_TX_ID]: xid,
          [SLUICE_LSN]: lsn.toString(),
        }))
      : undefined;
    return new CapturedTransactionTrace(commitTimeMicros, span);
  }

  /**
   * The headers of one event of the transaction: its commit time and, sampled, the context of a
   * `send <topic>` producer span (ended at hand-over to the publisher) that the next hop continues.
   */
  eventHeaders(topic: string): Readonly<Record<string, string>> {
    if (this.shared !== undefined) return this.shared;
    const send = tracing.send(this.span!, topic);
    const headers = traceContextHeaders(send);
    send.end();
    headers[SOURCE_COMMIT_TS_HEADER] = this.commitMs;
    return headers;
  }

  /** At the transaction's Commit. */
  end(): void {
    this.span?.end();
  }
}
