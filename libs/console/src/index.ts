// @sluice/console — the web console (apps/console): one view over the running apps' management
// APIs (pipeline map, connectors, pause/resume/restart), read-only topic browsing through
// @sluice/kafka's range reader, the registry's subjects and diffs, dead letters through
// @sluice/dead-letter-queue (audited as `sluice dlq`), replay plans through @sluice/replay.
// See docs/console.md.
export {
  consoleConfigSchema,
  consoleAppSchema,
  loadConsoleConfig,
  type ConsoleConfig,
  type ConsoleConfigInput,
  type ConsoleApp,
} from './config/console-config';
export { createConsoleApp, type ConsoleAppOptions } from './console-app';
export { FleetReader, type FleetReading } from './fleet/fleet-reader';
export { pipelineMap, type PipelineMap, type ConnectorNode, type TopicNode } from './map/pipeline-map';
export { diffSchemas, type SchemaDiff } from './schemas/schema-diff';
