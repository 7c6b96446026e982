import { isRetriable, RetriableError, SluiceError } from '@sluice/errors';
import { parseAvroSchema } from '@sluice/schema';
import type { StateAccess, StateStoreSpec } from '@sluice/stream';
import { Expression } from '../expression/expression';
import type {
  InputSchema,
  PipelineInput,
  PipelineOutput,
  StepResult,
  WorkingRecord,
} from '../record/pipeline-record';
import { scopeOf } from '../record/record-scope';
import { type DerivedSchema, derivedSchema, type StreamSchemas } from '../schema/derived-schema';
import type { Step } from '../steps/step';
import type { StepStartContext } from '../steps/stateful/join-table';
import type { PipelineConfig } from './pipeline-config';
import { StepFailedError } from './pipeline-errors';

/** The schemas of a pipeline's outputs for one pair of input schemas; every output topic shares them. */
export interface OutputSchemas {
  readonly key?: DerivedSchema;
  readonly value: DerivedSchema;
}

export interface LabelledStep {
  readonly label: string;
  readonly step: Step;
}

type Derivation = { readonly schemas: OutputSchemas } | { readonly error: Error };

/**
 * A pipeline ready to run: pure (no Kafka), given one decoded record it returns zero or more output
 * records, or throws: `StepFailedError` (or its `ValidationFailedError`) naming the step for bad data
 * or a step bug — the runtime dead-letters the record — and a `RetriableError` for a transient
 * dependency failure. Output schemas are derived once per (key schema id, value schema id) and
 * cached, failures included.
 */
export class CompiledPipeline {
  private readonly derivations = new Map<string, Derivation>();
  private readonly keySchemas = new Map<number, DerivedSchema>();
  private readonly destination: (record: WorkingRecord) => string;

  constructor(
    readonly config: PipelineConfig,
    private readonly steps: readonly LabelledStep[],
  ) {
    const to = config.to;
    if (typeof to === 'string') this.destination = () => to;
    else {
      const expr = Expression.parse(to.expression);
      this.destination = (record) => {
        const topic = expr.valueFor(scopeOf(record));
        if (typeof topic !== 'string' || topic === '')
          throw new StepFailedError(
            'to',
            `expression \`${to.expression}\` gave ${JSON.stringify(topic)}, not a topic name`,
            {
              code: 'NO_TOPIC',
            },
          );
        return topic;
      };
    }
  }

  /**
   * The output schemas for records written with these input schemas, derived once and cached. Throws
   * `StepFailedError` (code SCHEMA_DERIVATION, or SCHEMA_INVALID for unparseable input) naming the
   * step that cannot handle the schema.
   */
  schemasFor(valueSchema: InputSchema, keySchema?: InputSchema): OutputSchemas {
    const id = `${keySchema?.id ?? '-'}:${valueSchema.id}`;
    let derivation = this.derivations.get(id);
    if (!derivation) {
      derivation = this.derive(valueSchema, keySchema);
      this.derivations.set(id, derivation);
    }
    if ('error' in derivation) throw derivation.error;
    return derivation.schemas;
  }

  private derive(valueSchema: InputSchema, keySchema: InputSchema | undefined): Derivation {
    let schemas: StreamSchemas;
    try {
      schemas = {
        value: parseAvroSchema(valueSchema.text).type,
        key: keySchema && parseAvroSchema(keySchema.text).type,
      };
    } catch (error) {
      return { error: located('input schema', error, `value schema id ${valueSchema.id}`) };
    }
    for (const { label, step } of this.steps) {
      try {
        schemas = step.deriveSchema(schemas);
      } catch (error) {
        return { error: located(label, error, `schema id ${valueSchema.id}`) };
      }
    }
    try {
      return {
        schemas: { value: derivedSchema(schemas.value), key: schemas.key && derivedSchema(schemas.key) },
      };
    } catch (error) {
      return { error: located('output schema', error, `schema id ${valueSchema.id}`) };
    }
  }

  /** The state stores of the pipeline's stateful steps (empty for a stateless pipeline). */
  get stateStores(): string[] {
    return this.steps.flatMap(({ step }) => [...(step.stores ?? [])]);
  }

  /** The state stores with where each keeps its entries (the step's `storage`, else the pipeline's `state.storage`). */
  get stateStoreSpecs(): StateStoreSpec[] {
    return this.steps.flatMap(({ step }) =>
      (step.stores ?? []).map((name) => ({ name, storage: step.storage ?? this.config.state.storage })),
    );
  }

  /** Runs the steps over one record; `state`: the input partition's stores (stateful steps). */
  async process(input: PipelineInput, state?: StateAccess): Promise<PipelineOutput[]> {
    const tombstone = input.value === null || input.value === undefined;
    let schemas: OutputSchemas | undefined;
    if (!tombstone) {
      if (!input.valueSchema)
        throw new StepFailedError('input', 'a record with a value needs its value schema', {
          code: 'NO_VALUE_SCHEMA',
        });
      schemas = this.schemasFor(input.valueSchema, input.keySchema);
    }
    const { topic, partition, offset, timestamp, fetchedAt } = input;
    let records: WorkingRecord[] = [
      {
        metadata: { topic, partition, offset, timestamp, ...(fetchedAt !== undefined ? { fetchedAt } : {}) },
        key: input.key,
        value: tombstone ? null : input.value,
        headers: input.headers,
      },
    ];
    for (const { label, step } of this.steps) {
      const next: WorkingRecord[] = [];
      for (const record of records) {
        let result: StepResult;
        try {
          if (record.value === null)
            result = step.applyTombstone ? step.applyTombstone(record, state) : record;
          else {
            const applied = step.apply(record, state);
            result = applied instanceof Promise ? await applied : applied;
          }
        } catch (error) {
          throw located(label, error, `record ${topic}-${partition}@${offset}`);
        }
        if (result === null) continue;
        if (Array.isArray(result)) next.push(...(result as WorkingRecord[]));
        else next.push(result as WorkingRecord);
      }
      records = next;
      if (records.length === 0) return [];
    }
    return records.map((record) => this.output(record, schemas, input.keySchema));
  }

  private output(
    record: WorkingRecord,
    schemas: OutputSchemas | undefined,
    inputKey: InputSchema | undefined,
  ): PipelineOutput {
    const keySchema = schemas ? schemas.key : inputKey && this.keySchemaOf(inputKey);
    return {
      topic: record.topic ?? this.destination(record),
      key: record.key,
      value: record.value,
      headers: record.headers,
      ...(keySchema ? { keySchema } : {}),
      ...(schemas && record.value !== null ? { valueSchema: schemas.value } : {}),
    };
  }

  /** A tombstone's key keeps its schema: no step that changes the key lets a tombstone through. */
  private keySchemaOf(input: InputSchema): DerivedSchema {
    let schema = this.keySchemas.get(input.id);
    if (!schema) {
      schema = derivedSchema(parseAvroSchema(input.text).type);
      this.keySchemas.set(input.id, schema);
    }
    return schema;
  }

  /** Readies the steps that need it before the first record (a join reads its table to its end). */
  async start(context: StepStartContext): Promise<void> {
    for (const { step } of this.steps) await step.start?.(context);
  }

  /** Releases what the steps hold (lookup connections). */
  async close(): Promise<void> {
    await Promise.all(this.steps.map(({ step }) => step.close?.()));
  }
}

/** Every error leaves the pipeline naming the step; retriable ones stay retriable. */
function located(label: string, error: unknown, where: string): Error {
  if (error instanceof StepFailedError) return error;
  const message = `${error instanceof Error ? error.message : String(error)} (${where})`;
  if (isRetriable(error))
    return new RetriableError(`${label}: ${message}`, { cause: error, code: (error as SluiceError).code });
  return new StepFailedError(label, message, {
    cause: error,
    code: error instanceof SluiceError ? error.code : 'STEP_FAILED',
  });
}
