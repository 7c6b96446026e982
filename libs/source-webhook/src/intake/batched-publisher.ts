import { type Message, type TopicMessages } from 'kafkajs';
import { ProducerUnavailableError, type RenewingProducer } from '@sluice/kafka';

interface Waiting {
  readonly topic: string;
  readonly message: Message;
  resolve(): void;
  reject(error: unknown): void;
}

/** A record that never went out (withdrawn, or no producer to send it): it cannot land later. */
export class RecordNotSentError extends Error {
  constructor(reason: string, options?: ErrorOptions) {
    super(`not sent: ${reason}`, options);
    this.name = 'RecordNotSentError';
  }
}

/**
 * A request Kafka failed after it went out: its records may have been appended all the same (the
 * broker wrote them, then the connection closed before the answer). Only reading the topic tells.
 */
export class PublishOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`unknown whether Kafka wrote it: ${(cause as Error).message}`, { cause });
    this.name = 'PublishOutcomeUnknownError';
  }
}

/** What the publisher sends with (a RenewingProducer): undefined while the source has none. */
export type PublishingProducer = () => Pick<RenewingProducer, 'sendBatch'> | undefined;

/**
 * Sends each request's record with the others that arrived while the previous produce request was
 * in flight, as one request (group commit): the idempotent producer has one request in flight per
 * broker, so sending records one by one would cap the source at one round trip per webhook.
 * Each caller learns when Kafka acknowledged its own record (acks=all).
 *
 * After a failed request the producer is renewed before anything else is sent (RenewingProducer).
 * kafkajs rolls its sequence numbers back when a request fails, but the broker may have appended
 * that request: the next batch would reuse its sequence numbers and the broker refuse every later
 * request (OUT_OF_ORDER_SEQUENCE_NUMBER) or take one for a duplicate and drop it. A new producer id
 * starts a new sequence.
 */
export class BatchedPublisher {
  private queue: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly producer: PublishingProducer,
    private readonly maxBatchRecords = 500,
    /** Under Kafka's default 1 MiB request and message limits, with room for framing. */
    private readonly maxBatchBytes = 768 * 1024,
    /** Pause after a batch found no producer (Kafka away), so a queue of records does not spin on it. */
    private readonly renewRetryMs = 200,
  ) {}

  /**
   * `written` resolves once Kafka acknowledged the record (all in-sync replicas) and rejects when
   * it was not written (RecordNotSentError) or may or may not have been (PublishOutcomeUnknownError).
   * `withdraw` takes back a record still waiting for its turn (never sent, so it can never land
   * later); false once its request went out.
   */
  publish(topic: string, message: Message): { readonly written: Promise<void>; withdraw(): boolean } {
    let waiting!: Waiting;
    const written = new Promise<void>((resolve, reject) => {
      waiting = { topic, message, resolve, reject };
      this.queue.push(waiting);
      if (!this.sending) void this.drain();
    });
    return {
      written,
      withdraw: () => {
        const at = this.queue.indexOf(waiting);
        if (at < 0) return false;
        this.queue.splice(at, 1);
        waiting.reject(new RecordNotSentError('withdrawn before it was sent'));
        return true;
      },
    };
  }

  /** The next records to send: at most maxBatchRecords and about maxBatchBytes (a larger record goes alone). */
  private takeBatch(): Waiting[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.maxBatchRecords) {
      const size = sizeOf(this.queue[n]!.message);
      if (n > 0 && bytes + size > this.maxBatchBytes) break;
      bytes += size;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        const byTopic = new Map<string, TopicMessages>();
        for (const w of batch) {
          let entry = byTopic.get(w.topic);
          if (!entry) byTopic.set(w.topic, (entry = { topic: w.topic, messages: [] }));
          entry.messages.push(w.message);
        }
        try {
          const producer = this.producer();
          if (producer === undefined) throw new ProducerUnavailableError('not connected');
          await producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
          for (const w of batch) w.resolve();
        } catch (error) {
          if (error instanceof ProducerUnavailableError) {
            for (const w of batch) w.reject(new RecordNotSentError('no producer', { cause: error }));
            await new Promise((r) => setTimeout(r, this.renewRetryMs));
            continue;
          }
          const unknown = new PublishOutcomeUnknownError(error);
          for (const w of batch) w.reject(unknown);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

function sizeOf(message: Message): number {
  const length = (v: unknown) =>
    v === null || v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v));
  let bytes = length(message.key) + length(message.value);
  for (const [k, v] of Object.entries(message.headers ?? {})) bytes += k.length + length(v);
  return bytes;
}
