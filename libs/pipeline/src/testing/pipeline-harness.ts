import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { InMemorySchemaRegistry, RecordEncoder } from '@sluice/schema';
import type { CompiledPipeline } from '../pipeline/compiled-pipeline';
import { compilePipeline, type PipelineOptions, parsePipelineConfig } from '../pipeline/load-pipeline';
import type { PipelineOutput } from '../record/pipeline-record';
import type { DerivedSchema } from '../schema/derived-schema';

/** Processing time in specs. */
export const SPEC_NOW = 1_700_000_002_000;

/** A pipeline over `sluice.public.orders` → `out` with these steps, for specs. */
export function pipelineWith(
  steps: unknown[],
  options: PipelineOptions & { to?: unknown } = {},
): CompiledPipeline {
  const config = parsePipelineConfig(
    { name: 'spec', from: { topics: ['sluice.public.orders'] }, to: options.to ?? 'out', steps },
    { env: {}, ...options },
  );
  return compilePipeline(config, { clock: () => SPEC_NOW, ...options });
}

/** The ConfigError a pipeline with these steps fails with. */
export function configErrorOf(steps: unknown[], options: PipelineOptions = {}): ConfigError {
  try {
    pipelineWith(steps, options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

export function schemaJson(schema: DerivedSchema | undefined): unknown {
  assert.ok(schema, 'expected a derived schema');
  return JSON.parse(schema.text);
}

/** Proves every output record is encodable with its derived schemas (what the app will do). */
export async function assertEncodable(outputs: readonly PipelineOutput[]): Promise<void> {
  const encoder = new RecordEncoder(new InMemorySchemaRegistry());
  for (const out of outputs) {
    if (out.valueSchema) await encoder.encode(`${out.topic}-value`, out.valueSchema.text, out.value);
    if (out.keySchema) await encoder.encode(`${out.topic}-key`, out.keySchema.text, out.key);
  }
}
