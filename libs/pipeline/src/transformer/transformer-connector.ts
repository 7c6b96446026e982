import { dirname, isAbsolute, resolve } from 'node:path';
import { warnUnverifiedTls } from '@sluice/config';
import { defineConnector } from '@sluice/connect';
import { loadPipelineConfig, parsePipelineConfig } from '../pipeline/load-pipeline';
import { type PipelineConfig } from '../pipeline/pipeline-config';
import { declarePipelineTopics } from './pipeline-topics';
import { pipelineFromConfig, Transformer } from './transformer';
import { transformerSettings } from './transformer-config';

/**
 * transformer: one pipeline (docs/pipelines.md) run as a consumer group on the stream runtime,
 * exactly-once by default, its derived schemas registered once, its output topics created with
 * the inputs' partition count.
 */
export const transformerConnector = defineConnector({
  name: 'transformer',
  kind: 'transform',
  summary: 'runs a pipeline over Kafka topics into Kafka topics, exactly once by default',
  port: 8102,
  doc: 'docs/transformer.md',
  settings: transformerSettings,
  topicKeys: ['pipeline', 'outputTopics'],
  declareTopics(plan, settings, { file, env }) {
    // Secrets never decide topics: an unset `${VAR}` reads as a placeholder, so planning needs none.
    const reading = { env, unset: 'placeholder' } as const;
    const pipeline =
      typeof settings.pipeline === 'string'
        ? loadPipelineConfig(resolve(dirname(file), settings.pipeline), reading)
        : parsePipelineConfig(settings.pipeline, { ...reading, source: `${file} pipeline` });
    declarePipelineTopics(plan, pipeline, { replicationFactor: settings.outputTopics.replicationFactor });
  },
  secrets(config, { baseDir }) {
    // An inline pipeline is part of the app's configuration, searched with it; a pipeline file's
    // secrets (an enrich connection URL's password, a mask step's key, an auth value) are added.
    if (typeof config.pipeline !== 'string') return [];
    try {
      const file = isAbsolute(config.pipeline) ? config.pipeline : resolve(baseDir, config.pipeline);
      return [pipelineAsWritten(loadPipelineConfig(file))];
    } catch {
      return []; // create() reports what is wrong with the file
    }
  },
  create(config, { logger, registry, baseDir, dependencies }) {
    // An invalid pipeline throws a ConfigError naming the file and the YAML path before anything connects.
    const transformer = new Transformer(pipelineFromConfig(config, baseDir), config, registry, logger);
    // A pipeline file's settings (an enrich step's ssl) are warned here; an inline pipeline was
    // warned with the rest of the app's configuration.
    if (typeof config.pipeline === 'string')
      warnUnverifiedTls(transformer.pipeline.config, logger, 'pipeline');
    // The management API's one entry is named after the pipeline, not its group.
    return transformer.hosted(
      'transform',
      [dependencies.kafka, dependencies.registry],
      transformer.pipeline.config.name,
    );
  },
});

/** A validated pipeline with its steps as the file writes them (`- mask: { key }`), where secrets are looked for. */
function pipelineAsWritten(pipeline: PipelineConfig): object {
  return { ...pipeline, steps: pipeline.steps.map(({ type, config }) => ({ [type]: config })) };
}
