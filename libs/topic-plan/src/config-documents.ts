import { readFileSync } from 'node:fs';
import { type Environment, parseConfig, parseYaml } from '@sluice/config';
import { type TopicPlan } from '@sluice/connect';
import { connectorNamed, connectorsFitting, CONNECTORS } from '@sluice/connectors';
import { ConfigError } from '@sluice/errors';
import { declarePipelineTopics, loadPipelineConfig } from '@sluice/pipeline';

/**
 * The kinds of configuration file whose topics the plan knows: a registered connector's (by its
 * name), a pipeline file, or the schema registry's (which declares none).
 */
export type ConfigKind = string;

/**
 * Which app a configuration belongs to: the registered connector whose settings fit it (every key
 * known, every required one present), else a pipeline file, else the schema registry's. An
 * explicit `kind` wins.
 */
export function configKindOf(doc: Record<string, unknown>, file: string): ConfigKind {
  const fitting = connectorsFitting(doc);
  if (fitting.length === 1) return fitting[0]!.name;
  if (fitting.length > 1)
    throw new ConfigError(
      `${file}: fits the settings of ${fitting.map((c) => c.name).join(' and ')}; say which (--kind)`,
      file,
    );
  // A pipeline file is no connector's configuration: it is what a transformer runs.
  if ('from' in doc && 'name' in doc) return 'pipeline';
  // The registry is an app, not a connector: it reads and writes no topic.
  if ('compatibility' in doc || 'database' in doc) return 'schema-registry';
  // The console reads the apps' topics and declares none of its own.
  if ('apps' in doc) return 'console';
  throw new ConfigError(
    `${file}: not the configuration of a connector (${CONNECTORS.map((c) => c.name).join(', ')}), ` +
      'a pipeline, the schema registry or the console: its keys fit none of their settings',
    file,
  );
}

/**
 * Declares the topics of one configuration file: a source's tables, a transformer's pipeline (the
 * file it points to, relative to the configuration), a pipeline file. The schema registry and the
 * console declare none.
 */
export function declareConfigFileTopics(
  plan: TopicPlan,
  file: string,
  options: {
    readonly knownTables?: readonly string[];
    readonly kind?: ConfigKind;
    /** Interpolated into `${VAR}`; a variable it lacks reads as a placeholder. Default: none. */
    readonly env?: Environment;
  } = {},
): ConfigKind {
  const env = options.env ?? {};
  const doc = readYamlMap(file);
  const kind = options.kind ?? configKindOf(doc, file);
  // Secrets never decide topics: an unset `${VAR}` reads as a placeholder naming it, so planning
  // needs none (the app itself still refuses to start without them).
  const reading = { env, unset: 'placeholder' } as const;
  if (kind === 'pipeline') declarePipelineTopics(plan, loadPipelineConfig(file, reading));
  if (kind === 'pipeline' || kind === 'schema-registry' || kind === 'console') return kind;
  const connector = connectorNamed(kind);
  if (connector === undefined)
    throw new ConfigError(
      `${file}: unknown kind '${kind}' (${CONNECTORS.map((c) => c.name).join(', ')})`,
      file,
    );
  // Only the settings that decide topics are read: planning needs no secrets and no reachable hosts.
  const keys = connector.topicSettings.shape as Record<string, unknown>;
  const picked = Object.fromEntries(Object.entries(doc).filter(([k]) => k in keys));
  const settings = parseConfig(connector.topicSettings, picked, { ...reading, source: file });
  connector.declareTopics(plan, settings, { file, env, knownTables: options.knownTables });
  return kind;
}

function readYamlMap(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read (${(error as Error).message})`, file, undefined, {
      cause: error,
    });
  }
  const doc = parseYaml(text, file);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError(`${file}: expected a YAML map at the top`, file);
  return doc as Record<string, unknown>;
}
