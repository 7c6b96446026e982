import { type Message, type Producer, type TopicMessages } from 'kafkajs';

interface Waiting {
  readonly topic: string;
  readonly message: Message;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Sends each request's record with the others that arrived while the previous produce request was
 * in flight, as one request (group commit): the idempotent producer has one request in flight per
 * broker, so sending records one by one would cap the source at one round trip per webhook.
 * Each caller learns when Kafka acknowledged its own record (acks=all).
 */
export class BatchedPublisher {
  private queue: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly producer: () => Producer,
    private readonly maxBatchRecords = 500,
    /** Under Kafka's default 1 MiB request and message limits, with room for framing. */
    private readonly maxBatchBytes = 768 * 1024,
  ) {}

  /**
   * `written` resolves once Kafka acknowledged the record (all in-sync replicas) and rejects when
   * it was not written. `withdraw` takes back a record still waiting for its turn (never sent, so
   * it can never land later); false once its request went out.
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
        waiting.reject(new Error('withdrawn before it was sent'));
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
          await this.producer().sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
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
