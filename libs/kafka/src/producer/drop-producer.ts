import { type Producer } from 'kafkajs';

/**
 * Disconnects a producer that is being replaced after a failure, without waiting for it. kafkajs's
 * disconnect waits for the requests in flight, and a connection that was already closing when its
 * broker went away neither fails them nor times them out: awaiting it can hold the caller for good
 * (seen after a broker restart). Nothing is sent on the producer afterwards, so nothing waits on it.
 */
export function dropProducer(producer: Pick<Producer, 'disconnect'> | undefined): void {
  producer?.disconnect().catch(() => undefined);
}
