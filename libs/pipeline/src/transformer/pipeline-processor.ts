import { type RecordDecoder, type RecordEncoder, type SchemaRegistryClient } from '@sluice/schema';
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

/**
 * The transformer's work for one record: decode key and value (KEY_/VALUE_CONVERTER stages), run the
 * compiled pipeline (TRANSFORMATION), encode each output with its derived schema's registry id. Input
 * schema texts are fetched once per id, derived schemas registered once per (input schema, output
 * subject), output topics provisioned once: per record only map lookups and avsc run.
 */
export class PipelineProcessor implements RecordProcessor {
  readonly name: string;
  private readonly inputSchemas = new Map<number, Promise<InputSchema>>();

  constructor(private readonly parts: PipelineProcessorParts) {
    this.name = `Pipeline(${parts.pipeline.config.name})`;
    const stores = parts.pipeline.stateStoreSpecs;
    if (stores.length > 0) this.stateStores = stores;
  }

  /** The state stores of the pipeline's stateful steps (dedupe, aggregate), in memory or on disk. */
  readonly stateStores?: readonly StateStoreSpec[];

  async process(record: StreamRecord, ctx: ProcessContext): Promise<readonly OutputRecord[]> {
    const { pipeline, decoder } = this.parts;
    let key: unknown = record.key;
    let keySchema: InputSchema | undefined;
    if (record.key !== null && this.parts.keyFormat === 'avro') {
      const decoded = await ctx.stage('KEY_CONVERTER', 'RecordDecoder', () => decoder.decode(record.key!));
      key = decoded.value;
      keySchema = await ctx.stage('KEY_CONVERTER', 'SchemaRegistry', () =>
        this.inputSchema(decoded.schemaId),
      );
    }
    let value: unknown = null;
    let valueSchema: InputSchema | undefined;
    if (record.value !== null) {
      const decoded = await ctx.stage('VALUE_CONVERTER', 'RecordDecoder', () =>
        decoder.decode(record.value!),
      );
      value = decoded.value;
      valueSchema = await ctx.stage('VALUE_CONVERTER', 'SchemaRegistry', () =>
        this.inputSchema(decoded.schemaId),
      );
    }
    const outputs = await ctx.stage('TRANSFORMATION', pipeline.config.name, () =>
      pipeline.process(
        {
          topic: record.topic,
          partition: record.partition,
          offset: String(record.offset),
          timestamp: Number(record.timestamp),
          ...(record.fetchedAt !== undefined ? { fetchedAt: record.fetchedAt } : {}),
          key,
          value,
          headers: record.headers,
          ...(keySchema ? { keySchema } : {}),
          ...(valueSchema ? { valueSchema } : {}),
        },
        ctx.state,
      ),
    );
    if (outputs.length === 0) return [];
    const records: OutputRecord[] = [];
    for (const output of outputs) records.push(await this.encode(output, record, ctx));
    return records;
  }

  private async encode(
    output: PipelineOutput,
    input: StreamRecord,
    ctx: ProcessContext,
  ): Promise<OutputRecord> {
    const { topic } = output;
    const provisioning = this.parts.topics.ensure(topic);
    if (provisioning) await ctx.stage('KAFKA_PRODUCE', 'OutputTopics', () => provisioning);
    const key = output.keySchema
      ? await ctx.stage('KEY_CONVERTER', 'RecordEncoder', () =>
          this.encodeWith(`${topic}-key`, output.keySchema!, output.key),
        )
      : passThroughKey(output.key, input);
    const value =
      output.value === null || output.value === undefined || !output.valueSchema
        ? null
        : await ctx.stage('VALUE_CONVERTER', 'RecordEncoder', () =>
            this.encodeWith(`${topic}-value`, output.valueSchema!, output.value),
          );
    return { topic, key, value, headers: output.headers };
  }

  private async encodeWith(
    subject: string,
    schema: NonNullable<PipelineOutput['valueSchema']>,
    value: unknown,
  ): Promise<Buffer> {
    const id = await this.parts.schemas.idFor(subject, schema);
    return this.parts.encoder.encode(subject, id, value);
  }

  private inputSchema(id: number): Promise<InputSchema> {
    let schema = this.inputSchemas.get(id);
    if (!schema) {
      schema = this.parts.registry.schemaById(id).then((text) => ({ id, text }));
      schema.catch(() => this.inputSchemas.delete(id));
      this.inputSchemas.set(id, schema);
    }
    return schema;
  }
}

/** A key without a derived schema (bytes keys): unchanged bytes, or text a step produced. */
function passThroughKey(key: unknown, input: StreamRecord): Buffer | string | null {
  if (key === null || key === undefined) return null;
  if (Buffer.isBuffer(key) || typeof key === 'string') return key;
  return input.key;
}
