// @sluice/topic-plan — the topics a deployment needs, derived from Sluice's configurations (sources,
// pipelines, consumer groups and their DLQs), for `sluice topics render` and the Helm chart's
// KafkaTopic resources. What only the database or Kafka knows is reported, never guessed.
export {
  TopicPlan,
  type PlannedTopic,
  type TopicDeclaration,
  type TopicPlanDefaults,
  type PartitionCount,
} from '@sluice/connect';
export { declareSourceTopics, type SourceTopicSettings } from '@sluice/postgres-cdc';
export { declareConsumerTopics, type ConsumerTopicSettings } from '@sluice/connect';
export { declarePipelineTopics } from '@sluice/pipeline';
export { declareConfigFileTopics, configKindOf, type ConfigKind } from './config-documents';
