import { isAbsolute, resolve } from 'node:path';
import { type Admin } from 'kafkajs';
import { type z } from 'zod';
import {
  type ConnectorConfig,
  ConsumingConnector,
  processMemory,
  type RuntimeParts,
  streamRuntimeConfigOf,
  type SupervisionStatus,
} from '@sluice/connect';
import { RetriableError } from '@sluice/errors';
import { createKafkaClient } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';
import { RecordDecoder, RecordEncoder, type SchemaRegistryClient } from '@sluice/schema';
import {
  type OutputRecord,
  type StandbyPosition,
  type StoreRestoreProgress,
  type TopicPartition,
} from '@sluice/stream';
import { type CompiledPipeline } from '../pipeline/compiled-pipeline';
import { compilePipeline, loadPipeline, parsePipelineConfig } from '../pipeline/load-pipeline';
import { kafkaJoinTables } from './kafka-join-table';
import { OutputSchemaRegistrations } from './output-schemas';
import { OutputTopics } from './output-topics';
import { PipelineProcessor } from './pipeline-processor';
import { type transformerSettings } from './transformer-config';

export type TransformerConfig = ConnectorConfig<typeof transformerSettings>;
export type TransformerConfigInput = {
  [K in keyof typeof transformerSettings]?: z.input<(typeof transformerSettings)[K]>;
};

export interface TransformerStatus extends SupervisionStatus {
  readonly pipeline: string;
  readonly group: string;
  readonly delivery: string;
  readonly topics: readonly string[];
  readonly assignedPartitions: readonly TopicPartition[];
  readonly recordsProcessed: number;
  readonly recordsDeadLettered: number;
  readonly recordsParked: number;
  readonly schemaRegistrations: number;
  /**
   * Stateful steps: each state store of each assigned partition, its changelog and how far its
   * restore got (records are processed only once `done`).
   */
  readonly stateStores?: readonly StoreRestoreProgress[];
  /**
   * With `runtime.standbyReplicas`: the warm copies of the partitions other members own, each with
   * the changelog offset it followed up to.
   */
  readonly standbyStores?: readonly StandbyPosition[];
  /** This process's resident set and V8 heap in use, bytes. */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
}

/**
 * Reads the pipeline named by the configuration (a file, relative to `baseDir`, or inline). An
 * invalid pipeline throws a ConfigError naming the file and the YAML path.
 */
export function pipelineFromConfig(
  config: Pick<TransformerConfig, 'pipeline'>,
  baseDir: string,
): CompiledPipeline {
  if (typeof config.pipeline === 'string') {
    const file = isAbsolute(config.pipeline) ? config.pipeline : resolve(baseDir, config.pipeline);
    return loadPipeline(file);
  }
  return compilePipeline(parsePipelineConfig(config.pipeline, { source: 'pipeline (inline)' }), { baseDir });
}

/**
 * One pipeline run as a consumer group: the compiled pipeline inside a PipelineProcessor inside the
 * shared consuming life (exactly-once or at-least-once, DLQ `<group>.dlq`, retries, parking as the
 * pipeline file says), with the counters the status endpoint shows.
 */
export class Transformer extends ConsumingConnector<OutputRecord> {
  private admin: Admin | undefined;
  private processor: PipelineProcessor | undefined;
  private topics: string[] = [];
  private readonly schemas: OutputSchemaRegistrations;

  constructor(
    readonly pipeline: CompiledPipeline,
    private readonly config: TransformerConfig,
    private readonly registry: SchemaRegistryClient,
    logger: Logger,
  ) {
    super({
      app: 'transformer',
      group: pipeline.config.groupId,
      kafka: config.kafka,
      stallAfterMs: config.liveness.stallAfterMs,
      shutdownTimeoutMs: config.runtime.shutdownTimeoutMs,
      logger,
    });
    this.schemas = new OutputSchemaRegistrations(registry);
  }

  /** What a runtime needs before it starts: the input topics, the output topics, the processor. */
  protected async prepare(): Promise<void> {
    if (this.admin === undefined) {
      const admin = createKafkaClient(this.config.kafka).admin();
      await admin.connect();
      this.admin = admin;
    }
    this.topics = await this.inputTopics(this.admin);
    const layout = await this.outputLayout(this.admin, this.topics);
    const outputTopics = new OutputTopics(this.admin, layout);
    const to = this.pipeline.config.to;
    if (typeof to === 'string') await outputTopics.provision([to]);
    // A join reads its table to its end here, before the runtime runs a record.
    await this.pipeline.start({
      inputTopics: this.topics,
      tables: kafkaJoinTables({
        kafka: this.config.kafka,
        registry: this.registry,
        keyFormat: this.config.keyFormat,
        logger: this.supervision.logger,
      }),
    });
    this.processor = new PipelineProcessor({
      pipeline: this.pipeline,
      registry: this.registry,
      decoder: new RecordDecoder(this.registry),
      encoder: new RecordEncoder(this.registry),
      schemas: this.schemas,
      topics: outputTopics,
      keyFormat: this.config.keyFormat,
    });
  }

  protected runtimeParts(): RuntimeParts<OutputRecord> {
    const pipeline = this.pipeline.config;
    return {
      config: streamRuntimeConfigOf(this.config.runtime, {
        group: pipeline.groupId,
        topics: this.topics,
        delivery: pipeline.mode,
        failure: { retry: pipeline.retry, onKeyFailure: pipeline.onKeyFailure },
      }),
      processor: this.processor!,
    };
  }

  protected async disconnect(): Promise<void> {
    await this.pipeline.close();
    await this.admin?.disconnect();
  }

  protected runningLog(): Record<string, unknown> {
    return { pipeline: this.pipeline.config.name, group: this.group, topics: this.topics };
  }

  status(): TransformerStatus {
    const { phase, paused, membership, ...since } = this.supervisionStatus();
    const outcomes = this.outcomes();
    return {
      pipeline: this.pipeline.config.name,
      group: this.group,
      delivery: this.pipeline.config.mode,
      phase,
      paused,
      topics: this.topics,
      assignedPartitions: this.runtime.assignedPartitions(),
      membership,
      recordsProcessed: outcomes.processed,
      recordsDeadLettered: outcomes.deadLettered,
      recordsParked: outcomes.parked,
      schemaRegistrations: this.schemas.registrations,
      memory: processMemory(),
      ...(this.pipeline.stateStores.length > 0 ? { stateStores: this.runtime.stateRestoreProgress() } : {}),
      ...(this.runtime.standbyPositions() ? { standbyStores: this.runtime.standbyPositions() } : {}),
      // lastError, retryAt, liveness: when there are any.
      ...since,
    };
  }

  /** The pipeline's input topics; a pattern is matched against the topics existing at start-up. */
  private async inputTopics(admin: Admin): Promise<string[]> {
    const from = this.pipeline.config.from;
    if ('topics' in from) {
      const existing = new Set(await admin.listTopics());
      const missing = from.topics.filter((t) => !existing.has(t));
      if (missing.length > 0)
        throw new RetriableError(
          `input topic(s) ${missing.join(', ')} of pipeline ${this.pipeline.config.name} do not exist (yet): waiting for them`,
          { code: 'INPUT_TOPIC_MISSING' },
        );
      return [...from.topics];
    }
    const pattern = new RegExp(`^(?:${from.pattern})$`);
    const topics = (await admin.listTopics()).filter((t) => pattern.test(t)).sort();
    if (topics.length === 0)
      throw new RetriableError(
        `no topic matches the pipeline's from.pattern ${from.pattern} (yet): waiting for one`,
        { code: 'INPUT_TOPIC_MISSING' },
      );
    return topics;
  }

  private async outputLayout(
    admin: Admin,
    topics: readonly string[],
  ): Promise<{ partitions: number; replicationFactor: number }> {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const partitions = Math.max(...meta.map((t) => t.partitions.length));
    const replicationFactor =
      this.config.outputTopics.replicationFactor ??
      Math.max(1, ...meta.flatMap((t) => t.partitions.map((p) => p.replicas.length)));
    return { partitions, replicationFactor };
  }
}
