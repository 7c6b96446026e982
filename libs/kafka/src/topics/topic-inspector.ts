import { type Admin, ConfigResourceTypes, ConfigSource } from 'kafkajs';

/** One partition of a topic as the cluster has it now. */
export interface PartitionState {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly inSyncReplicas: readonly number[];
  /** The log start offset (records below it were deleted or compacted away). */
  readonly lowOffset: bigint;
  /** The end offset: the next record's offset. */
  readonly highOffset: bigint;
}

/** A topic as the cluster has it now, or `exists: false`. */
export interface TopicState {
  readonly name: string;
  readonly exists: boolean;
  readonly partitions: readonly PartitionState[];
  readonly replicationFactor: number;
  /** Configs set on the topic itself (not the broker's defaults). */
  readonly configs: Readonly<Record<string, string>>;
  /** Records between the start and end offsets of every partition (transaction markers included). */
  readonly records: bigint;
}

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  readonly partition: number;
  /** The group's committed offset, or null when it committed none for this partition. */
  readonly committed: bigint | null;
  readonly end: bigint;
  /** end − committed; null without a committed offset. */
  readonly lag: bigint | null;
}

/** A consumer group's position on one topic. */
export interface GroupLag {
  readonly group: string;
  /** Kafka's group state: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, Unknown. */
  readonly state: string;
  readonly members: number;
  readonly partitions: readonly PartitionLag[];
  /** Sum over the partitions with a committed offset; null when the group committed none here. */
  readonly totalLag: bigint | null;
}

/**
 * Read-only views of topics and consumer groups for operators (`sluice topics list | describe`):
 * what exists, where its offsets are, and how far each group is behind. Never changes anything.
 */
export class TopicInspector {
  constructor(private readonly admin: Admin) {}

  /** The named topics, in the order given; missing ones come back with `exists: false`. */
  async describe(names: readonly string[]): Promise<TopicState[]> {
    const existing = new Set(await this.admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    const metadata =
      present.length === 0 ? [] : (await this.admin.fetchTopicMetadata({ topics: present })).topics;
    const configs = await this.topicConfigs(present);
    const states = new Map<string, TopicState>();
    for (const topic of metadata) {
      const offsets = await this.admin.fetchTopicOffsets(topic.name);
      const byPartition = new Map(offsets.map((o) => [o.partition, o]));
      const partitions = topic.partitions
        .map((p) => {
          const o = byPartition.get(p.partitionId);
          return {
            partition: p.partitionId,
            leader: p.leader,
            replicas: p.replicas,
            inSyncReplicas: p.isr,
            lowOffset: BigInt(o?.low ?? 0),
            highOffset: BigInt(o?.high ?? 0),
          };
        })
        .sort((a, b) => a.partition - b.partition);
      states.set(topic.name, {
        name: topic.name,
        exists: true,
        partitions,
        replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
        configs: configs.get(topic.name) ?? {},
        records: partitions.reduce((sum, p) => sum + (p.highOffset - p.lowOffset), 0n),
      });
    }
    return names.map(
      (name) =>
        states.get(name) ?? {
          name,
          exists: false,
          partitions: [],
          replicationFactor: 0,
          configs: {},
          records: 0n,
        },
    );
  }

  /**
   * The lag of `groups` on `topic` (default: every group of the cluster that committed an offset
   * on it), against the partitions' end offsets: those of a `TopicState` just described, else
   * fetched now.
   */
  async lag(topic: string | TopicState, groups?: readonly string[]): Promise<GroupLag[]> {
    const ends =
      typeof topic === 'string'
        ? new Map((await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]))
        : new Map(topic.partitions.map((p) => [p.partition, p.highOffset]));
    const name = typeof topic === 'string' ? topic : topic.name;
    const candidates = groups ?? (await this.admin.listGroups()).groups.map((g) => g.groupId);
    const lags: Array<Omit<GroupLag, 'state' | 'members'>> = [];
    for (const group of [...new Set(candidates)].sort()) {
      const [fetched] = await this.admin.fetchOffsets({ groupId: group, topics: [name] });
      const committedByPartition = new Map(
        (fetched?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]),
      );
      const anyCommitted = [...committedByPartition.values()].some((o) => o >= 0n);
      if (groups === undefined && !anyCommitted) continue;
      const partitions = [...ends.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partition, end]) => {
          const offset = committedByPartition.get(partition);
          const committed = offset === undefined || offset < 0n ? null : offset;
          return { partition, committed, end, lag: committed === null ? null : end - committed };
        });
      const known = partitions.map((p) => p.lag).filter((l): l is bigint => l !== null);
      lags.push({
        group,
        partitions,
        totalLag: known.length === 0 ? null : known.reduce((a, b) => a + b, 0n),
      });
    }
    // One DescribeGroups request for all of them: state and members.
    const described =
      lags.length === 0 ? [] : (await this.admin.describeGroups(lags.map((l) => l.group))).groups;
    return lags.map((l) => {
      const group = described.find((d) => d.groupId === l.group);
      return { ...l, state: group?.state ?? 'Unknown', members: group?.members.length ?? 0 };
    });
  }

  private async topicConfigs(names: readonly string[]): Promise<Map<string, Record<string, string>>> {
    const result = new Map<string, Record<string, string>>();
    if (names.length === 0) return result;
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    });
    for (const resource of resources) {
      const set = resource.configEntries.filter(
        (e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configValue !== null,
      );
      result.set(
        resource.resourceName,
        Object.fromEntries(set.map((e) => [e.configName, e.isSensitive ? '<sensitive>' : e.configValue])),
      );
    }
    return result;
  }
}
