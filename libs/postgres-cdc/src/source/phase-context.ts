import type { ChangeEvent, ChangeEventBuilder } from '../events/change-event-builder';
import type { AcknowledgementWindow, PendingTransaction } from '../offsets/acknowledgement-window';
import type { ChangeEventPublisher } from '../publishing/change-event-publisher';
import type { CapturedTables } from './captured-tables';
import type { CapturedTransactionTrace } from './change-tracing';

/** What the snapshot and streaming phases share, handed over by the source for one connected run. */
export interface PhaseContext {
  readonly tables: CapturedTables;
  readonly builder: ChangeEventBuilder;
  readonly publisher: ChangeEventPublisher;
  readonly window: AcknowledgementWindow;
  /**
   * Undefined while the source runs (checked per message: no await on the hot path); else a promise
   * that resolves on resume and rejects when the source stops.
   */
  readonly whilePaused: () => Promise<void> | undefined;
  readonly onEvents: (count: number) => void;
}

/**
 * Sends `event` as part of `tx`, or keeps it back (still counted in `tx`) when its table is held.
 * A streamed transaction's events carry its commit time and trace context in their headers.
 */
export async function deliver(
  context: PhaseContext,
  relationId: number,
  event: ChangeEvent,
  tx: PendingTransaction,
  trace?: CapturedTransactionTrace,
): Promise<void> {
  const routing = context.tables.route(relationId, event, tx);
  if (!('send' in routing)) return context.publisher.hold(tx);
  const { send } = routing;
  if (trace === undefined) return context.publisher.publish(send, tx);
  const headers = trace.eventHeaders(send.topic);
  await context.publisher.publish(
    { ...send, headers: send.headers === undefined ? headers : { ...send.headers, ...headers } },
    tx,
  );
}
