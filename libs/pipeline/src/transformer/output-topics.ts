import { type Admin } from 'kafkajs';
import { RetriableError } from '@sluice/errors';
import { TopicProvisioner } from '@sluice/kafka';

export interface OutputTopicLayout {
  readonly partitions: number;
  readonly replicationFactor: number;
}

/**
 * Creates output topics on first use, with the input topics' partition count (so a key keeps its
 * partition number across the pipeline) — once per topic per process. A failure is retriable and
 * forgotten, so the record is retried rather than dead-lettered.
 */
export class OutputTopics {
  private readonly ready = new Map<string, Promise<void>>();
  private readonly done = new Set<string>();

  constructor(
    private readonly admin: Admin,
    private readonly layout: OutputTopicLayout,
  ) {}

  /** Undefined once the topic is known to exist (no await on the hot path), else its provisioning. */
  ensure(topic: string): Promise<void> | undefined {
    if (this.done.has(topic)) return undefined;
    const known = this.ready.get(topic);
    if (known) return known;
    const creating = new TopicProvisioner(this.admin).provision([{ name: topic, ...this.layout }]).then(
      () => {
        this.done.add(topic);
      },
      (error: unknown) => {
        this.ready.delete(topic);
        throw new RetriableError(`cannot provision output topic ${topic}: ${String(error)}`, {
          cause: error,
          code: 'TOPIC_PROVISIONING',
        });
      },
    );
    this.ready.set(topic, creating);
    return creating;
  }

  /** Marks a topic as provisioned (done at start-up for the pipeline's static destinations). */
  async provision(topics: readonly string[]): Promise<void> {
    await Promise.all(topics.map((t) => this.ensure(t)));
  }
}
