import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { type Environment, parseConfig, parseYaml } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { parsePipelineConfig } from '@sluice/pipeline';
import { sourceConfigSchema } from '@sluice/postgres-cdc';
import { declareConsumerTopics } from '@sluice/connect';
import { declarePipelineTopics } from './pipeline-topics';
import { declareSourceTopics } from './source-topics';
import { type TopicPlan } from '@sluice/connect';

/** The kinds of configuration file whose topics the plan knows. */
export type ConfigKind =
  'source-postgres' | 'transformer' | 'pipeline' | 'sink-postgres' | 'sink-http' | 'schema-registry';

/** The part of a source's configuration that decides its topics, checked by the source's own schema. */
const sourceTopicsSchema = sourceConfigSchema.pick({
  topicPrefix: true,
  tables: true,
  topics: true,
  events: true,
});

/** The transformer's pipeline reference and output replication; the rest of its file is not about topics. */
const transformerTopicsSchema = z.object({
  pipeline: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  outputTopics: z.object({ replicationFactor: z.number().int().min(1).optional() }).optional(),
});

const onKeyFailure = z.enum(['skip', 'park']).optional();

/**
 * A sink's consumer group, inputs and key parking (both sinks park by default); the rest of its
 * file is about the destination. sink-postgres's group defaults to sluice-sink-postgres.
 */
const sinkTopicsSchema = z.object({
  group: z.string().min(1).optional(),
  topics: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name')).min(1),
  runtime: z.object({ onKeyFailure, failure: z.object({ onKeyFailure }).optional() }).optional(),
});

/**
 * Secrets never decide topics: a `${VAR}` without a default gets one naming it, so planning needs
 * no secrets (the app itself still refuses to start without them). `$${` stays an escape.
 */
function withVisibleDefaults(value: unknown): unknown {
  if (typeof value === 'string')
    return value.replace(
      /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      '${$1:-<$1 is not set in this environment>}',
    );
  if (Array.isArray(value)) return value.map(withVisibleDefaults);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withVisibleDefaults(v)]));
  return value;
}

/**
 * Which app a configuration belongs to, by the settings only that app has. Explicit `kind` wins.
 */
export function configKindOf(doc: Record<string, unknown>, file: string): ConfigKind {
  if ('pipeline' in doc) return 'transformer';
  if ('target' in doc && 'topics' in doc) return 'sink-postgres';
  if ('destinations' in doc && 'topics' in doc) return 'sink-http';
  if ('from' in doc && 'name' in doc) return 'pipeline';
  if (['topicPrefix', 'slot', 'publication', 'tables'].some((k) => k in doc)) return 'source-postgres';
  if ('compatibility' in doc || 'database' in doc) return 'schema-registry';
  throw new ConfigError(
    `${file}: not a configuration of source-postgres, transformer or schema-registry, nor a pipeline ` +
      '(expected one of: topicPrefix/tables, pipeline, from/name, topics/target, topics/destinations, database)',
    file,
  );
}

/**
 * Declares the topics of one configuration file: a source's tables, a transformer's pipeline (the
 * file it points to, relative to the configuration), a pipeline file. The schema registry writes none.
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
  if (kind === 'source-postgres') {
    const picked = Object.fromEntries(Object.entries(doc).filter(([k]) => k in sourceTopicsSchema.shape));
    const config = parseConfig(sourceTopicsSchema, picked, { source: file, env });
    declareSourceTopics(plan, config, {
      name: `source-postgres (${file})`,
      knownTables: options.knownTables,
    });
  } else if (kind === 'transformer') {
    const config = parseConfig(transformerTopicsSchema, doc, { source: file, env });
    const pipeline =
      typeof config.pipeline === 'string'
        ? parsePipelineFile(resolve(dirname(file), config.pipeline), env)
        : parsePipelineConfig(config.pipeline, { source: `${file} pipeline`, env });
    declarePipelineTopics(plan, pipeline, { replicationFactor: config.outputTopics?.replicationFactor });
  } else if (kind === 'sink-postgres' || kind === 'sink-http') {
    const sink = parseConfig(sinkTopicsSchema, doc, { source: file, env });
    const group = sink.group ?? (kind === 'sink-postgres' ? 'sluice-sink-postgres' : undefined);
    if (group === undefined) throw new ConfigError(`${file}: at group: required`, file, 'group');
    const parking = (sink.runtime?.onKeyFailure ?? sink.runtime?.failure?.onKeyFailure ?? 'park') === 'park';
    declareConsumerTopics(plan, { name: `${kind} ${group}`, group, inputs: sink.topics, parking });
  } else if (kind === 'pipeline') {
    declarePipelineTopics(plan, parsePipelineFile(file, env));
  }
  return kind;
}

function parsePipelineFile(file: string, env: Environment) {
  return parsePipelineConfig(readYamlMap(file), { source: file, env });
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
  return withVisibleDefaults(doc) as Record<string, unknown>;
}
