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
  ) {}

  /** Resolves once Kafka acknowledged the record (all in-sync replicas). */
  publish(topic: string, message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatchRecords);
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
