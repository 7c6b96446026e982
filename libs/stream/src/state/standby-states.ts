import { randomUUID } from 'node:crypto';
import { type Consumer, type Kafka } from 'kafkajs';
import { createConsumer } from '@sluice/kafka';
import { changelogTopicFor } from './changelog-topic';
import { PartitionState, type ChangelogEntry } from './partition-state';
import { type StateDirectory } from './state-directory';
import { type StateStoreDeclaration, storeSpec } from './store-engine';

/** Where the warm copy of one store of one partition another member owns stands. */
export interface StandbyPosition {
  readonly partition: number;
  readonly store: string;
  /** The next changelog offset the copy will apply. */
  readonly followedTo: number;
}

/**
 * Standby replicas (Kafka Streams' num.standby.replicas): warm copies of the state stores of the
 * input partitions this member does not own, kept up to date by following their changelogs (read
 * committed). When such a partition is assigned here, its worker takes the warm copy and restores
 * only what the copy has not seen yet (from its position to the end) instead of the whole
 * changelog — a rebalance or a failover costs a catch-up, not a full restore.
 *
 * kafkajs has neither `assign()` nor standby tasks in its group protocol, so this member keeps a
 * copy of every partition it does not own (with two members: a full second copy of the state),
 * and reads each changelog with one consumer of a group of its own (never committing) that sees
 * all partitions. A copy made for a partition just revoked starts from the changelog's beginning.
 */
export class StandbyStates {
  private readonly copies = new Map<number, PartitionState>();
  private readonly consumers: Consumer[] = [];
  private readonly stores: readonly string[];

  constructor(
    private readonly kafka: Kafka,
    private readonly group: string,
    private readonly topic: string,
    private readonly declarations: readonly StateStoreDeclaration[],
    private readonly directory: StateDirectory | undefined,
  ) {
    this.stores = declarations.map((d) => storeSpec(d).name);
  }

  /** Starts following every store's changelog. */
  async start(): Promise<void> {
    for (const store of this.stores) {
      const changelog = changelogTopicFor(this.group, store);
      const consumer = createConsumer(this.kafka, { groupId: `${changelog}.standby-${randomUUID()}` });
      this.consumers.push(consumer);
      // Batches of transaction markers only reach no eachBatch: the position moves past them here.
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const { partition, lastOffset } = event.payload;
        if (lastOffset !== null && lastOffset !== undefined)
          this.follow(partition, store, [], BigInt(lastOffset) + 1n);
      });
      await consumer.connect();
      await consumer.subscribe({ topic: changelog, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        // Synchronous from the lookup to the write: a copy handed over (`take`) gets no write after.
        eachBatch: async ({ batch }) => {
          this.follow(batch.partition, store, batch.messages, BigInt(batch.lastOffset()) + 1n);
        },
      });
    }
  }

  /**
   * The partitions this member does not own now (`partitionCount` minus `assigned`) get a copy;
   * copies of partitions assigned here are left for `take`.
   */
  keep(partitionCount: number, assigned: ReadonlySet<number>): void {
    // Owned partitions are not fetched: their active copy is written here, not followed.
    const owned = [...assigned];
    const others = [...Array(partitionCount).keys()].filter((p) => !assigned.has(p));
    for (const [i, consumer] of this.consumers.entries()) {
      const topic = changelogTopicFor(this.group, this.stores[i]!);
      try {
        if (owned.length > 0) consumer.pause([{ topic, partitions: owned }]);
        if (others.length > 0) consumer.resume([{ topic, partitions: others }]);
      } catch {
        // Not running yet (between a crash and its restart): it fetches them all, the copies filter.
      }
    }
    for (let partition = 0; partition < partitionCount; partition++) {
      if (assigned.has(partition) || this.copies.has(partition)) continue;
      const tp = { topic: this.topic, partition };
      this.copies.set(partition, new PartitionState(tp, this.group, this.declarations, this.directory, true));
      // Read its changelog partitions again from the beginning.
      for (const [i, consumer] of this.consumers.entries()) {
        try {
          consumer.seek({ topic: changelogTopicFor(this.group, this.stores[i]!), partition, offset: '0' });
        } catch {
          // Not running yet: its first fetch starts at the beginning anyway.
        }
      }
    }
  }

  /**
   * Applies changelog records to the copy of `partition`. A record the store could not have written
   * drops the copy (never an error into kafkajs, which would fetch it again forever): should the
   * partition come here, its restore reads the changelog from the beginning and fails naming it.
   */
  private follow(partition: number, store: string, records: readonly ChangelogEntry[], next: bigint): void {
    const copy = this.copies.get(partition);
    if (!copy) return;
    try {
      copy.follow(store, records, next);
    } catch {
      this.copies.delete(partition);
      void copy.close().catch(() => undefined);
    }
  }

  /** The warm copy of `partition`, handed to its new worker (no longer followed here), if any. */
  take(partition: number): PartitionState | undefined {
    const copy = this.copies.get(partition);
    this.copies.delete(partition);
    return copy;
  }

  /** The copies kept here: per partition and store, the changelog offset followed up to (status). */
  positions(): StandbyPosition[] {
    return [...this.copies].flatMap(([partition, copy]) =>
      [...copy.followedTo()].map(([store, offset]) => ({ partition, store, followedTo: Number(offset) })),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
    const copies = [...this.copies.values()];
    this.copies.clear();
    await Promise.all(copies.map((c) => c.close()));
  }
}
