import type { ChangeEvent, ChangeEventBuilder } from '../events/change-event-builder';
import type { AcknowledgementWindow, PendingTransaction } from '../offsets/acknowledgement-window';
import type { ChangeEventPublisher } from '../publishing/change-event-publisher';
import type { CapturedTables } from './captured-tables';

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

/** Sends `event` as part of `tx`, or keeps it back (still counted in `tx`) when its table is held. */
export async function deliver(
  context: PhaseContext,
  relationId: number,
  event: ChangeEvent,
  tx: PendingTransaction,
): Promise<void> {
  const routing = context.tables.route(relationId, event, tx);
  if ('send' in routing) await context.publisher.publish(routing.send, tx);
  else context.publisher.hold(tx);
}
