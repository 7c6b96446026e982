import {
  type DecodedRecord,
  LoadingCache,
  type RecordDecoder,
  type RecordEncoder,
  type SchemaRegistryClient,
  whenLoaded,
} from '@sluice/schema';
import {
  type OutputRecord,
  type ProcessContext,
  type RecordProcessor,
  type StreamRecord,
  type StateStoreSpec,
} from '@sluice/stream';
import { type CompiledPipeline } from '../pipeline/compiled-pipeline';
import { type InputSchema, type PipelineOutput } from '../record/pipeline-record';
import { type OutputSchemaRegistrations } from './output-schemas';
import { type OutputTopics } from './output-topics';

export interface PipelineProcessorParts {
  readonly pipeline: CompiledPipeline;
  readonly registry: SchemaRegistryClient;
  readonly decoder: RecordDecoder;
  readonly encoder: RecordEncoder;
  readonly schemas: OutputSchemaRegistrations;
  readonly topics: OutputTopics;
  /** avro: keys are Confluent-framed Avro; bytes: keys pass through untouched. */
  readonly keyFormat: 'avro' | 'bytes';
}

/** A decoded key or value and the schema it was written with. */
interface DecodedInput {
  readonly value: unknown;
  readonly schema: InputSchema;
}

/**
 * The transformer's work for one record: decode key and value (KEY_/VALUE_CONVERTER stages), run the
 * compiled pipeline (TRANSFORMATION), encode each output with its derived schema's registry id. Input
 * schema texts are fetched once per id, derived schemas registered once per (input schema, output
 * subject), output topics provisioned once. After a schema's first record, decoding and encoding
 * answer at once, not with promises: per record only map lookups and avsc run, and the record waits
 * for nothing but the pipeline's steps.
 */
export class PipelineProcessor implements RecordProcessor {
  readonly name: string;
  private readonly inputSchemas = new LoadingCache<number, InputSchema>();
  /** `<topic>-key` and `<topic>-value` by output topic: the same strings each record, hashed once. */
  private readonly subjects = new Map<string, { readonly key: string; readonly value: string }>();

  constructor(private readonly parts: PipelineProcessorParts) {
    this.name = `Pipeline(${parts.pipeline.config.name})`;
    const stores = parts.pipeline.stateStoreSpecs;
    if (stores.length > 0) this.stateStores = stores;
  }

  /** The state stores of the pipeline's stateful steps (dedupe, aggregate), in memory or on disk. */
  readonly stateStores?: readonly StateStoreSpec[];

  async process(record: StreamRecord, ctx: ProcessContext): Promise<readonly OutputRecord[]> {
    const { pipeline } = this.parts;
    const key =
      record.key !== null && this.parts.keyFormat === 'avro'
        ? await this.decode(record.key, 'KEY_CONVERTER', ctx)
        : undefined;
    const value = record.value !== null ? await this.decode(record.value, 'VALUE_CONVERTER', ctx) : undefined;
    const outputs = await ctx.stage('TRANSFORMATION', pipeline.config.name, () =>
      pipeline.process(
        {
          topic: record.topic,
          partition: record.partition,
          offset: String(record.offset),
          timestamp: Number(record.timestamp),
          ...(record.fetchedAt !== undefined ? { fetchedAt: record.fetchedAt } : {}),
          key: key ? key.value : record.key,
          value: value ? value.value : null,
          headers: record.headers,
          ...(key ? { keySchema: key.schema } : {}),
          ...(value ? { valueSchema: value.schema } : {}),
        },
        ctx.state,
      ),
    );
    if (outputs.length === 0) return [];
    const records: OutputRecord[] = [];
    for (const output of outputs) {
      const encoded = this.encode(output, record, ctx);
      records.push(encoded instanceof Promise ? await encoded : encoded);
    }
    return records;
  }

  /** Framed Avro → value and writer schema: at once when the schema id is known, else after the registry. */
  private decode(
    bytes: Buffer,
    stage: 'KEY_CONVERTER' | 'VALUE_CONVERTER',
    ctx: ProcessContext,
  ): DecodedInput | Promise<DecodedInput> {
    const decoded = ctx.stage(stage, 'RecordDecoder', () => this.parts.decoder.decode(bytes));
    return whenLoaded(decoded, ({ value, schemaId }: DecodedRecord) =>
      whenLoaded(
        ctx.stage(stage, 'SchemaRegistry', () => this.inputSchema(schemaId)),
        (schema) => ({ value, schema }),
      ),
    );
  }

  private encode(
    output: PipelineOutput,
    input: StreamRecord,
    ctx: ProcessContext,
  ): OutputRecord | Promise<OutputRecord> {
    const { topic } = output;
    const provisioning = this.parts.topics.ensure(topic);
    if (provisioning)
      return ctx
        .stage('KAFKA_PRODUCE', 'OutputTopics', () => provisioning)
        .then(() => this.encode(output, input, ctx));
    const subjects = this.subjectsOf(topic);
    const encodeValue = (): Buffer | Promise<Buffer> | null =>
      output.value === null || output.value === undefined || !output.valueSchema
        ? null
        : ctx.stage('VALUE_CONVERTER', 'RecordEncoder', () =>
            this.encodeWith(subjects.value, output.valueSchema!, output.value),
          );
    const withValue = (key: Buffer | string | null): OutputRecord | Promise<OutputRecord> =>
      whenLoaded(encodeValue(), (value) => ({ topic, key, value, headers: output.headers }));
    // The key first, then the value, as one after the other: a key failure is the record's
    // KEY_CONVERTER failure, and no value work starts (or is left unwatched) behind it.
    const key = output.keySchema
      ? ctx.stage('KEY_CONVERTER', 'RecordEncoder', () =>
          this.encodeWith(subjects.key, output.keySchema!, output.key),
        )
      : passThroughKey(output.key, input);
    return whenLoaded(key, withValue);
  }

  private encodeWith(
    subject: string,
    schema: NonNullable<PipelineOutput['valueSchema']>,
    value: unknown,
  ): Buffer | Promise<Buffer> {
    return whenLoaded(this.parts.schemas.idFor(subject, schema), (id) =>
      this.parts.encoder.encode(subject, id, value),
    );
  }

  private subjectsOf(topic: string): { readonly key: string; readonly value: string } {
    let subjects = this.subjects.get(topic);
    if (!subjects) this.subjects.set(topic, (subjects = { key: `${topic}-key`, value: `${topic}-value` }));
    return subjects;
  }

  private inputSchema(id: number): InputSchema | Promise<InputSchema> {
    return this.inputSchemas.get(id, async () => ({ id, text: await this.parts.registry.schemaById(id) }));
  }
}

/** A key without a derived schema (bytes keys): unchanged bytes, or text a step produced. */
function passThroughKey(key: unknown, input: StreamRecord): Buffer | string | null {
  if (key === null || key === undefined) return null;
  if (Buffer.isBuffer(key) || typeof key === 'string') return key;
  return input.key;
}
