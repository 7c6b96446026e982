import { type z } from 'zod';
import { type ConnectorDefinition } from '@sluice/connect';
import { transformerConnector } from '@sluice/pipeline';
import { sourcePostgresConnector } from '@sluice/postgres-cdc';
import { sinkHttpConnector } from '@sluice/sink-http';
import { sinkPostgresConnector } from '@sluice/sink-postgres';
import { sourceHttpPollConnector } from '@sluice/source-http-poll';
import { sourceWebhookConnector } from '@sluice/source-webhook';

/**
 * Every connector Sluice ships, in data-path order. A new connector is its folder plus one line
 * here: `sluice topics render`, the generated docs tables and the deploy checks read this list.
 */
export const CONNECTORS: readonly ConnectorDefinition[] = [
  sourcePostgresConnector,
  sourceWebhookConnector,
  sourceHttpPollConnector,
  transformerConnector,
  sinkPostgresConnector,
  sinkHttpConnector,
] as unknown as readonly ConnectorDefinition[];

/** The connector registered under `name`, if any. */
export function connectorNamed(name: string): ConnectorDefinition | undefined {
  return CONNECTORS.find((c) => c.name === name);
}

/**
 * The connectors a configuration document can belong to, read from their schemas: every key it has
 * is one of the connector's settings, and it has every setting the connector requires. Connector
 * configurations are strict, so a document fits one connector (or, missing required settings, none).
 */
export function connectorsFitting(doc: Readonly<Record<string, unknown>>): ConnectorDefinition[] {
  return CONNECTORS.filter((c) => fitsShape(c.configSchema, doc));
}

function fitsShape(schema: z.ZodObject, doc: Readonly<Record<string, unknown>>): boolean {
  const shape = schema.shape as Record<string, z.ZodType>;
  if (Object.keys(doc).some((key) => !(key in shape))) return false;
  return Object.entries(shape).every(([key, setting]) => key in doc || setting.safeParse(undefined).success);
}
