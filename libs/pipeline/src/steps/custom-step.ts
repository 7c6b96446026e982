import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import type { StreamSchemas } from '../schema/derived-schema';
import { type Step, type StepContext, stepDefinition } from './step';

const CUSTOM_STEP = Symbol.for('sluice.pipeline.customStep');

/** A step written in TypeScript, made with `defineStep()` and exported by a module. */
export interface CustomStepDefinition<S extends z.ZodType = z.ZodType> {
  /** Validates (and documents) the step's `config:` block. */
  readonly configSchema: S;
  /** Output schemas from input schemas, once per input schema. Default: unchanged. */
  deriveSchema?(input: StreamSchemas, config: z.output<S>): StreamSchemas;
  /** Per record; never mutate `record`, return a new one (or several, or null to drop). */
  apply(record: WorkingRecord, config: z.output<S>): StepResult | Promise<StepResult>;
  /** For tombstones; default: passed on unchanged. */
  applyTombstone?(record: WorkingRecord, config: z.output<S>): StepResult;
}

/**
 * Declares a custom step with its config type inferred from its zod schema:
 *
 *     export default defineStep({
 *       configSchema: z.strictObject({ rate: z.number() }),
 *       deriveSchema: (input) => input,
 *       apply: (record, { rate }) => ({ ...record, value: { ...record.value, total: record.value.total * rate } }),
 *     });
 */
export function defineStep<S extends z.ZodType>(
  definition: CustomStepDefinition<S>,
): CustomStepDefinition<S> {
  return Object.freeze({ ...definition, [CUSTOM_STEP]: true });
}

function isCustomStep(value: unknown): value is CustomStepDefinition {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CUSTOM_STEP] === true
  );
}

class CustomStep implements Step {
  constructor(
    private readonly definition: CustomStepDefinition,
    private readonly config: unknown,
  ) {}

  deriveSchema(input: StreamSchemas): StreamSchemas {
    return this.definition.deriveSchema ? this.definition.deriveSchema(input, this.config) : input;
  }

  apply(record: WorkingRecord): StepResult | Promise<StepResult> {
    return this.definition.apply(record, this.config);
  }

  applyTombstone(record: WorkingRecord): StepResult {
    return this.definition.applyTombstone ? this.definition.applyTombstone(record, this.config) : record;
  }
}

function load(cfg: { module: string; export: string }, ctx: StepContext): CustomStepDefinition {
  const file = isAbsolute(cfg.module) ? cfg.module : resolve(ctx.baseDir, cfg.module);
  let exports: Record<string, unknown>;
  try {
    // A path from the operator's own pipeline file: loading its code is the point of this step, and a
    // synchronous require keeps building the pipeline synchronous.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exports = require(file) as Record<string, unknown>;
  } catch (cause) {
    throw new ConfigError(
      `${ctx.label}.module: cannot load ${file} (${(cause as Error).message})`,
      undefined,
      `${ctx.label}.module`,
      {
        cause,
      },
    );
  }
  const definition = exports[cfg.export];
  if (!isCustomStep(definition))
    throw new ConfigError(
      `${ctx.label}.module: ${file} has no export "${cfg.export}" made with defineStep()`,
      undefined,
      `${ctx.label}.module`,
    );
  return definition;
}

export const customStep = stepDefinition({
  name: 'custom',
  summary:
    'Runs a step written in TypeScript: a module (compiled to JavaScript, or TypeScript that Node can strip) ' +
    'whose export is made with `defineStep()` from @sluice/pipeline. Its own zod schema validates `config`.',
  configSchema: z.strictObject({
    module: z.string().min(1).describe('The module file, relative to the pipeline file.'),
    export: z.string().min(1).default('default').describe('The export holding the step. Default default.'),
    config: z.unknown().optional().describe("The step's own settings, validated by its configSchema."),
  }),
  example: 'custom:\n  module: ./steps/currency.js\n  config: { rate: 1.08 }',
  fromConfig: (cfg, ctx) => {
    const definition = load(cfg, ctx);
    let config: unknown;
    try {
      config = parseConfig(definition.configSchema, cfg.config ?? {}, {
        source: `${ctx.label}.config`,
        env: {},
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const path = `${ctx.label}.config${error.path && error.path !== '(root)' ? `.${error.path}` : ''}`;
      throw new ConfigError(error.message, undefined, path, { cause: error });
    }
    return new CustomStep(definition, config);
  },
});
