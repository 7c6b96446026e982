import { randomUUID } from 'node:crypto';

/**
 * Debezium 3.x's extended headers (extended.headers.enabled), on every change event and tombstone:
 * the topic prefix, the task (always 0: one task per Postgres connector), the connector type and a
 * run id new at each start of the task (here: of a connected source run).
 */
export function debeziumContextHeaders(
  topicPrefix: string,
  runId: string = randomUUID(),
): Record<string, string> {
  return {
    '__debezium.context.connectorLogicalName': topicPrefix,
    '__debezium.context.taskId': '0',
    '__debezium.context.connectorName': 'postgresql',
    '__debezium.context.runId': runId,
  };
}
