import { dirname, resolve } from 'node:path';
import { type Environment, loadConfigFile, parseConfig, type UnsetVariables } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { postgresRowLookup } from '../steps/enrich/postgres-row-lookup';
import type { RowLookupFactory } from '../steps/enrich/row-lookup';
import { builtInStepRegistry, type StepRegistry } from '../steps/step-registry';
import { CompiledPipeline, type LabelledStep } from './compiled-pipeline';
import { type PipelineConfig, pipelineConfigSchema, stepLabel } from './pipeline-config';

export interface PipelineOptions {
  /** Step types by YAML name. Default: the built-in steps. */
  readonly registry?: StepRegistry;
  /** `${ENV}` values. Default: the process environment. */
  readonly env?: Environment;
  /** Processing time for `insert ... from: now` and cache expiry. Default Date.now. */
  readonly clock?: () => number;
  /** How `enrich` reaches Postgres. Default: a pg pool per step. */
  readonly lookups?: RowLookupFactory;
  /** Where `custom` modules are resolved. Default: the pipeline file's folder (or the working directory). */
  readonly baseDir?: string;
}

/** How a pipeline document is read: its step types, `${ENV}` values, and what an unset one becomes. */
type ReadOptions = Pick<PipelineOptions, 'registry' | 'env'> & { readonly unset?: UnsetVariables };

/** Validates a parsed pipeline document; an error names its YAML path (`steps[1].mask.key`). */
export function parsePipelineConfig(
  raw: unknown,
  options: ReadOptions & { source?: string } = {},
): PipelineConfig {
  return parseConfig(pipelineConfigSchema(options.registry ?? builtInStepRegistry()), raw, {
    source: options.source ?? 'pipeline',
    env: options.env,
    unset: options.unset,
  });
}

/** Builds the steps of a validated pipeline. Throws `ConfigError` when a step cannot be built. */
export function compilePipeline(config: PipelineConfig, options: PipelineOptions = {}): CompiledPipeline {
  const registry = options.registry ?? builtInStepRegistry();
  const steps: LabelledStep[] = config.steps.map(({ type, config: stepConfig }, index) => {
    const label = stepLabel(index, type);
    const definition = registry.get(type);
    if (!definition) throw new ConfigError(`${label}: unknown step type "${type}"`, undefined, label);
    const step = definition.fromConfig(stepConfig, {
      label,
      baseDir: options.baseDir ?? process.cwd(),
      clock: options.clock ?? Date.now,
      lookups: options.lookups ?? postgresRowLookup,
      index,
    });
    return { label, step };
  });
  checkStatefulSteps(config, steps);
  return new CompiledPipeline(config, steps);
}

/**
 * Stateful steps keep their state per input partition with a changelog written in the pipeline's
 * Kafka transaction: they need exactly-once, one input topic, and distinct store names.
 */
function checkStatefulSteps(config: PipelineConfig, steps: readonly LabelledStep[]): void {
  const seen = new Map<string, string>();
  for (const { label, step } of steps) {
    for (const store of step.stores ?? []) {
      const other = seen.get(store);
      if (other)
        throw new ConfigError(
          `${label}: state store "${store}" is also used by ${other}; give each step its own store`,
          undefined,
          label,
        );
      seen.set(store, label);
    }
  }
  if (seen.size === 0) return;
  const [store, label] = [...seen][0]!;
  if (config.mode !== 'exactly-once')
    throw new ConfigError(
      `${label}: a stateful step (store "${store}") needs mode: exactly-once — its state is committed with the outputs and offsets in one Kafka transaction`,
      undefined,
      'mode',
    );
  if (!('topics' in config.from) || config.from.topics.length !== 1)
    throw new ConfigError(
      `${label}: a stateful step (store "${store}") needs exactly one input topic in from.topics — state is kept per input partition`,
      undefined,
      'from',
    );
}

/** Reads and validates a pipeline file without building its steps (what planners need). */
export function loadPipelineConfig(file: string, options: ReadOptions = {}): PipelineConfig {
  return loadConfigFile(pipelineConfigSchema(options.registry ?? builtInStepRegistry()), file, {
    env: options.env,
    unset: options.unset,
  });
}

/** Reads, validates and compiles a pipeline file. */
export function loadPipeline(file: string, options: PipelineOptions = {}): CompiledPipeline {
  const registry = options.registry ?? builtInStepRegistry();
  const config = loadPipelineConfig(file, { registry, env: options.env });
  return compilePipeline(config, {
    ...options,
    registry,
    baseDir: options.baseDir ?? dirname(resolve(file)),
  });
}
