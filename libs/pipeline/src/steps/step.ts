import type { z } from 'zod';
import type { StateAccess, StoreStorage } from '@sluice/stream';
import type { StepResult, WorkingRecord } from '../record/pipeline-record';
import type { StreamSchemas } from '../schema/derived-schema';
import type { RowLookupFactory } from './enrich/row-lookup';
import type { StepStartContext } from './stateful/join-table';

/** What a step gets besides its configuration when the pipeline is built. */
export interface StepContext {
  /** Where the step is in the pipeline file, e.g. `steps[2].mask`; errors and the DLQ name it. */
  readonly label: string;
  /** The folder of the pipeline file: `custom` modules are resolved against it. */
  readonly baseDir: string;
  /** Processing time in epoch milliseconds (injected so tests are deterministic). */
  readonly clock: () => number;
  /** How `enrich` reaches its database. */
  readonly lookups: RowLookupFactory;
  /** The step's position in `steps` (0-based): stateful steps name their default store after it. */
  readonly index: number;
}

/**
 * One pipeline step. `deriveSchema` runs once per input schema (never per record) and throws
 * `SchemaDerivationError` when the step cannot handle that schema; `apply` runs per record and
 * never mutates what it receives. A step bug or bad data throws (the pipeline turns it into a
 * `StepFailedError` naming the step); a transient dependency failure throws a `RetriableError`.
 */
export interface Step {
  deriveSchema(input: StreamSchemas): StreamSchemas;
  /**
   * `state`: the state stores of the record's input partition, given to steps that declare `stores`
   * (docs/pipelines.md, Stateful steps); writes count only when the record's work succeeds.
   */
  apply(record: WorkingRecord, state?: StateAccess): StepResult | Promise<StepResult>;
  /** For a record whose value is null (a tombstone). Without it the tombstone passes unchanged. */
  applyTombstone?(record: WorkingRecord, state?: StateAccess): StepResult;
  /**
   * The state stores this step keeps per input partition (a stateful step). Each is backed by the
   * compacted changelog topic `<groupId>-<store>-changelog`, written in the pipeline's transaction.
   */
  readonly stores?: readonly string[];
  /** Where this step's stores keep their entries; undefined: the pipeline's `state.storage`. */
  readonly storage?: StoreStorage;
  /**
   * Work before the first record (a `join` reads its table to its end); called by the transformer
   * each time its runtime is prepared, so it must be idempotent.
   */
  start?(context: StepStartContext): Promise<void>;
  /** Releases connections; called when the pipeline closes. */
  close?(): Promise<void>;
}

/**
 * A step type as the registry knows it (Redpanda Connect's config spec + constructor): its YAML
 * name, a zod schema that validates the YAML and documents every setting, and `fromConfig` that
 * builds the step from validated, plain values.
 */
export interface StepDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** One paragraph for the reference documentation. */
  readonly summary: string;
  readonly configSchema: S;
  /** A YAML snippet shown in the reference documentation. */
  readonly example: string;
  fromConfig(config: z.output<S>, context: StepContext): Step;
}

/** Declares a step type with its config schema inferred (used for the built-in steps). */
export function stepDefinition<S extends z.ZodType>(definition: StepDefinition<S>): StepDefinition<S> {
  return definition;
}
