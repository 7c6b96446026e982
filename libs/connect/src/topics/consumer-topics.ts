import { deadLetterTopicConfigs, dlqTopicFor, parkedTopicFor } from '@sluice/stream';
import { type ConsumerRuntimeSettings, parksKeys } from '../consuming/runtime-settings';
import { type TopicPlan } from './topic-plan';

/** A consumer group on the stream runtime: what it reads and how it handles failures. */
export interface ConsumerTopicSettings {
  /** Names the app in origins and notes, e.g. `transformer orders-clean`. */
  readonly name: string;
  readonly group: string;
  readonly inputs: readonly string[];
  /** `onKeyFailure: park` keeps parked keys in the compacted `<group>.dlq.parked`. */
  readonly parking: boolean;
  readonly replicationFactor?: number;
}

/**
 * A consumer group's inputs and its dead-letter topics: `<group>.dlq` (and `<group>.dlq.parked`
 * when keys are parked) with as many partitions as its largest input, as the runtime creates them.
 */
export function declareConsumerTopics(plan: TopicPlan, consumer: ConsumerTopicSettings): void {
  const { name, group, inputs, replicationFactor } = consumer;
  for (const input of inputs)
    plan.declare({ name: input, partitions: undefined, origin: `${name}: input`, readBy: group });
  const likeInputs = { likeMaxOf: inputs };
  plan.declare({
    name: dlqTopicFor(group),
    partitions: likeInputs,
    replicationFactor,
    // As the runtime creates it for inputs at Kafka's default limit (it reads theirs at start).
    configs: deadLetterTopicConfigs(),
    origin: `${name}: dead letters of group ${group}`,
  });
  if (consumer.parking)
    plan.declare({
      name: parkedTopicFor(group),
      partitions: likeInputs,
      replicationFactor,
      configs: { 'cleanup.policy': 'compact' },
      origin: `${name}: parked keys of group ${group}`,
    });
}

/**
 * The `declareTopics` of a connector that consumes `topics` as `group` with `runtime:` settings (a
 * sink): its inputs and its group's dead-letter topics.
 */
export function consumerGroupTopics(connector: string) {
  return (
    plan: TopicPlan,
    settings: {
      readonly group: string;
      readonly topics: readonly string[];
      readonly runtime: ConsumerRuntimeSettings;
    },
  ): void =>
    declareConsumerTopics(plan, {
      name: `${connector} ${settings.group}`,
      group: settings.group,
      inputs: settings.topics,
      parking: parksKeys(settings.runtime),
    });
}
