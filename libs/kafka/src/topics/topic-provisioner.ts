import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { yamlPath } from '@sluice/config';
import { ConfigError, RetriableError } from '@sluice/errors';
import { type ProvisioningReport } from './provisioning-report';
import { diffTopic, type ObservedTopic } from './topic-drift';
import { type TopicSpec, type TopicSpecInput, topicSpecsSchema } from './topic-spec';

export interface ProvisionOptions {
  /**
   * Raise the partition count of existing topics that have fewer than declared. Default false:
   * adding partitions moves keys to other partitions (murmur2 modulo the count), which breaks order
   * per key for records already written, so it must be an explicit decision.
   */
  increasePartitions?: boolean;
}

/**
 * Makes the cluster's topics match their declarations as far as that is safe: creates missing
 * topics, optionally raises partition counts, and reports every other difference. It never deletes
 * a topic, never reduces anything and never rewrites configs, so running it on every start-up is
 * harmless and a second run finds nothing to do.
 */
export class TopicProvisioner {
  /** @param admin a connected kafkajs admin; the caller owns its lifecycle. */
  constructor(private readonly admin: Admin) {}

  async provision(
    specs: readonly TopicSpecInput[],
    options: ProvisionOptions = {},
  ): Promise<ProvisioningReport> {
    const declared = parseSpecs(specs);
    const report: ProvisioningReport = { created: [], increased: [], unchanged: [], drifted: [] };

    const existing = new Set(await this.admin.listTopics());
    const present: TopicSpec[] = [];
    for (const spec of declared) {
      if (!existing.has(spec.name) && (await this.create(spec))) report.created.push(spec.name);
      else present.push(spec);
    }
    if (present.length === 0) return report;

    const observed = await this.observe(present);
    for (const spec of present) {
      let current = observed.get(spec.name)!;
      let drift = diffTopic(spec, current);
      const fewer = drift.find((d) => d.kind === 'partitions' && d.direction === 'fewer');
      if (fewer && options.increasePartitions) {
        await this.admin.createPartitions({
          topicPartitions: [{ topic: spec.name, count: spec.partitions }],
        });
        report.increased.push({ name: spec.name, from: current.partitions, to: spec.partitions });
        current = { ...current, partitions: spec.partitions };
        drift = diffTopic(spec, current);
      }
      if (drift.length === 0) report.unchanged.push(spec.name);
      else report.drifted.push({ name: spec.name, drift });
    }
    return report;
  }

  /**
   * Creates one topic; false when it appeared in the meantime (another instance provisioning at the
   * same moment), in which case it is compared like any existing topic. One call per topic because
   * kafkajs answers a batch with a single boolean, which cannot say which of them already existed.
   */
  private async create(spec: TopicSpec): Promise<boolean> {
    // Not `waitForLeaders`: kafkajs's wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a freshly
    // started KRaft broker answers for a moment after the create; we wait ourselves.
    const created = await this.admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: spec.replicationFactor,
          configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    if (created) await this.awaitLeaders(spec);
    return created;
  }

  /** Until the broker's metadata shows every partition of the new topic with a leader. */
  private async awaitLeaders(spec: TopicSpec, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no metadata yet';
    while (Date.now() < deadline) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [spec.name] });
        const partitions = topics[0]?.partitions ?? [];
        if (partitions.length === spec.partitions && partitions.every((p) => p.leader >= 0)) return;
        last = `${partitions.length}/${spec.partitions} partitions with a leader`;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
        last = type;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new RetriableError(
      `topic ${spec.name} was created but has no leaders after ${timeoutMs} ms (${last})`,
      {
        code: 'TOPIC_NOT_READY',
      },
    );
  }

  /** Partition count, replication factor and the declared configs of existing topics. */
  private async observe(specs: readonly TopicSpec[]): Promise<Map<string, ObservedTopic>> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
    const withConfigs = specs.filter((s) => Object.keys(s.configs).length > 0);
    // Only the declared config names are asked for: an empty list would mean "all of them".
    const described =
      withConfigs.length === 0
        ? { resources: [] }
        : await this.admin.describeConfigs({
            includeSynonyms: false,
            resources: withConfigs.map((s) => ({
              type: ConfigResourceTypes.TOPIC,
              name: s.name,
              configNames: Object.keys(s.configs),
            })),
          });

    // kafkajs already turns a per-resource error code into a thrown KafkaJSProtocolError.
    const configsByTopic = new Map<string, Record<string, string | null>>();
    for (const resource of described.resources) {
      configsByTopic.set(
        resource.resourceName,
        Object.fromEntries(resource.configEntries.map((e) => [e.configName, e.configValue])),
      );
    }

    const observed = new Map<string, ObservedTopic>();
    for (const topic of topics) {
      observed.set(topic.name, {
        name: topic.name,
        partitions: topic.partitions.length,
        // The declared factor applies to every partition; the largest replica set is what the topic has.
        replicationFactor: Math.max(0, ...topic.partitions.map((p) => p.replicas.length)),
        configs: configsByTopic.get(topic.name) ?? {},
      });
    }
    return observed;
  }
}

/** Validates the declarations up front, so a bad one stops provisioning before anything changes. */
function parseSpecs(specs: readonly TopicSpecInput[]): TopicSpec[] {
  const result = topicSpecsSchema.safeParse(specs);
  if (result.success) return result.data;
  const where = (path: ReadonlyArray<PropertyKey>) =>
    path.length === 0 ? 'topics' : `topics${yamlPath(path)}`;
  const problems = result.error.issues.map((issue) => `at ${where(issue.path)}: ${issue.message}`);
  throw new ConfigError(
    `topic declarations: ${problems.join('; ')}`,
    'topic declarations',
    where(result.error.issues[0].path),
  );
}
