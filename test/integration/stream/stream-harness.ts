// Shared setup of the stream runtime suites: a client for the local stack, topic provisioning,
// producing test input and reading a topic back (read_committed), either until enough records
// arrived or, for suites that count their output, whole to its end offsets.
import { type Admin, type Kafka, type KafkaMessage } from 'kafkajs';
import {
  createKafkaClient,
  createProducer,
  kafkaConfigSchema,
  type KafkaConfig,
  type RangeRecord,
  TopicProvisioner,
} from '@sluice/kafka';
import {
  deleteTopicsIfPresent,
  readCommitted,
  stackAddresses,
  uniqueName,
  untilConsumed,
} from '@sluice/test-support';

export const kafkaConfig: KafkaConfig = kafkaConfigSchema.parse({
  brokers: stackAddresses().kafkaBrokers,
  clientId: 'sluice-it-stream',
  logLevel: 'nothing',
});

export interface ReadRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

export class StreamHarness {
  readonly kafka: Kafka = createKafkaClient(kafkaConfig);
  private admin: Admin | undefined;
  private readonly topics: string[] = [];

  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
  }

  async topic(prefix: string, partitions: number): Promise<string> {
    const name = uniqueName(prefix);
    await new TopicProvisioner(this.admin!).provision([{ name, partitions, replicationFactor: 1 }]);
    this.topics.push(name);
    return name;
  }

  /**
   * Creates `name` as it is (a DLQ named after its group) with one partition and the broker's
   * `max.message.bytes` set, for the cases on record sizes; removed at clean-up.
   */
  async topicWithLimit(name: string, maxMessageBytes: number): Promise<void> {
    await new TopicProvisioner(this.admin!).provision([
      {
        name,
        partitions: 1,
        replicationFactor: 1,
        configs: { 'max.message.bytes': String(maxMessageBytes) },
      },
    ]);
    this.topics.push(name);
  }

  /** Remembers a topic the runtime creates (the DLQ) for clean-up. */
  track(topic: string): void {
    this.topics.push(topic);
  }

  async produce(
    topic: string,
    records: ReadonlyArray<{ key: string; value: string }>,
    chunk = 2000,
  ): Promise<void> {
    const producer = createProducer(this.kafka);
    await producer.connect();
    try {
      for (let i = 0; i < records.length; i += chunk) {
        await producer.send({ topic, messages: records.slice(i, i + chunk) });
      }
    } finally {
      await producer.disconnect();
    }
  }

  /** Reads `topic` from the beginning (committed records only) until `count` records or `timeoutMs`. */
  async read(topic: string, count: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
    const out: ReadRecord[] = [];
    const consumer = this.kafka.consumer({ groupId: uniqueName('it.stream.reader'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        void consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) out.push(toRead(batch.partition, m));
            if (out.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
    }
    return out;
  }

  /**
   * Every committed record of `topic` up to its end offsets, partition by partition in offset order.
   * Counting suites read with this once the writer is done, so a duplicate anywhere is counted.
   */
  async readAll(topic: string): Promise<ReadRecord[]> {
    const partitions = await readCommitted(this.kafka, topic);
    return [...partitions.values()].flat().map(fromRange);
  }

  /** Resolves once `group` committed the end offset of every partition of `topic`. */
  untilConsumed(group: string, topic: string, timeoutMs: number): Promise<void> {
    return untilConsumed(this.admin!, group, topic, timeoutMs);
  }

  /** Records in the log of `topic` (high minus low watermark over its partitions). */
  async logSize(topic: string): Promise<number> {
    const offsets = await this.admin!.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }

  /** The high watermark of each partition of `topic`. */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const offsets = await this.admin!.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
  }

  async committedOffsets(group: string, topic: string): Promise<Map<number, bigint>> {
    const [entry] = await this.admin!.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(entry.partitions.map((p) => [p.partition, BigInt(p.offset)]));
  }

  /** Sets `group`'s committed offset of one partition (the group must have no live member). */
  async setCommittedOffset(group: string, topic: string, partition: number, offset: bigint): Promise<void> {
    await this.admin!.setOffsets({
      groupId: group,
      topic,
      partitions: [{ partition, offset: String(offset) }],
    });
  }

  async partitionCount(topic: string): Promise<number> {
    const { topics } = await this.admin!.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.length;
  }

  async close(): Promise<void> {
    if (this.admin) await deleteTopicsIfPresent(this.admin, this.topics);
    await this.admin?.disconnect();
  }
}

function lastValues(raw: KafkaMessage['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v !== undefined) headers[k] = (Array.isArray(v) ? v[v.length - 1] : v).toString();
  }
  return headers;
}

function toRead(partition: number, m: KafkaMessage): ReadRecord {
  return {
    partition,
    offset: BigInt(m.offset),
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
    headers: lastValues(m.headers),
  };
}

function fromRange(r: RangeRecord): ReadRecord {
  return {
    partition: r.partition,
    offset: r.offset,
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    headers: lastValues(r.headers),
  };
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
