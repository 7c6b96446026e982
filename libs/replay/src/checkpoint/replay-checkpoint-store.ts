import { type Admin, type Kafka } from 'kafkajs';
import { readTopicRange, resolveRange, TopicProvisioner } from '@sluice/kafka';
import { decodeCheckpoint, encodeCheckpoint, type ReplayCheckpoint } from './replay-checkpoint';

/** Where replays keep their checkpoints unless told otherwise. */
export const DEFAULT_CHECKPOINT_TOPIC = '_sluice.replays';

/**
 * Replay checkpoints in a compacted topic keyed by replay id (one partition: checkpoints are few
 * and small). Records are written by the replay inside its transactions (`record()`); `load()`
 * reads the topic read committed, so a checkpoint of an aborted transaction never counts.
 */
export class ReplayCheckpointStore {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string = DEFAULT_CHECKPOINT_TOPIC,
  ) {}

  /** Creates the checkpoint topic when missing (compacted, replicated as far as the cluster allows). */
  async ensureTopic(): Promise<void> {
    const brokers = (await this.admin.describeCluster()).brokers.length;
    await new TopicProvisioner(this.admin).provision([
      {
        name: this.topic,
        partitions: 1,
        replicationFactor: Math.min(3, brokers),
        configs: { 'cleanup.policy': 'compact' },
      },
    ]);
  }

  /** The latest committed checkpoint of `replayId`, or undefined when it has none. */
  async load(replayId: string): Promise<ReplayCheckpoint | undefined> {
    const ranges = await resolveRange(this.admin, this.topic, {});
    let found: { value: Buffer | null; where: string } | undefined;
    await readTopicRange(this.kafka, {
      topic: this.topic,
      partitions: ranges,
      groupIdPrefix: `${this.topic}.reader`,
      onBatch: (partition, records) => {
        for (const r of records) {
          if (r.key?.toString('utf8') === replayId) {
            found = { value: r.value, where: `${this.topic}[${partition}]@${r.offset}` };
          }
        }
      },
    });
    if (found === undefined || found.value === null) return undefined;
    return decodeCheckpoint(found.value, found.where);
  }

  /** The checkpoint as a record of this topic, for the replay's transaction. */
  record(checkpoint: ReplayCheckpoint): { topic: string; key: string; value: Buffer; partition: number } {
    return { topic: this.topic, key: checkpoint.replayId, value: encodeCheckpoint(checkpoint), partition: 0 };
  }
}
