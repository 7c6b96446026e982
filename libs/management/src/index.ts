// @sluice/management — the management REST API every connector app serves (Kafka Connect's:
// GET /connectors, /connectors/{name}/status and /offsets, POST pause, resume, restart), its
// bearer-token guard, and the Connector contract with its adapter for apps on a StreamRuntime.
// See docs/management-api.md.
export {
  type Connector,
  type ConnectorType,
  type ConnectorState,
  type ConnectorStatus,
  type ConnectorOffsets,
  type AssignedPartition,
  type PartitionOffset,
  type SourcePosition,
  CONNECTOR_STATES,
} from './connector/connector';
export { type ConnectorAction, ConnectorStateConflictError, checkAction } from './connector/connector-action';
export { StreamConnector } from './connector/stream-connector';
export { bearerToken, BearerTokenGuard } from './http/bearer-token.guard';
export { ManagementModule, type ManagementOptions } from './management.module';
