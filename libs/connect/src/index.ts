// @sluice/connect — the connector framework: a connector is defined once (its settings schema, the
// topics it reads and writes, how it runs) and hosted the same way by every app (/status, the
// management API, probes, metrics, SIGTERM). Consuming connectors share one life on the stream
// runtime (ConsumingConnector). See docs/connectors.md.
export {
  defineConnector,
  type ConnectorDefinition,
  type ConnectorSpec,
  type ConnectorKind,
  type ConnectorConfig,
  type ConnectorContext,
  type ConnectorSecretsContext,
  type RunningConnector,
  type TopicPlanContext,
} from './definition/connector-definition';
export { connectorConfigTail, type ConnectorConfigTail } from './definition/connector-config';
export {
  ConsumingConnector,
  processMemory,
  type ConsumingConnectorOptions,
  type OutcomeCounts,
  type PartitionPosition,
  type RuntimeParts,
  type SupervisionStatus,
} from './consuming/consuming-connector';
export {
  consumerRuntimeSettings,
  streamRuntimeConfigOf,
  parksKeys,
  type ConsumerRuntimeSettings,
  type ConsumerSettingsOptions,
} from './consuming/runtime-settings';
export {
  TopicPlan,
  type PlannedTopic,
  type TopicDeclaration,
  type TopicPlanDefaults,
  type PartitionCount,
} from './topics/topic-plan';
export {
  declareConsumerTopics,
  consumerGroupTopics,
  type ConsumerTopicSettings,
} from './topics/consumer-topics';
export {
  createConnectorApp,
  runConnector,
  type ConnectorApp,
  type ConnectorAppOptions,
} from './host/connector-app';
