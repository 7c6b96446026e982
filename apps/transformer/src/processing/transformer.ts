import { isAbsolute, resolve } from 'node:path';
import { type Admin } from 'kafkajs';
import { RetriableError } from '@sluice/errors';
import { createKafkaClient } from '@sluice/kafka';
import { type LivenessView, type Logger } from '@sluice/observability';
import { type CompiledPipeline, compilePipeline, loadPipeline, parsePipelineConfig } from '@sluice/pipeline';
import { RecordDecoder, RecordEncoder, type SchemaRegistryClient } from '@sluice/schema';
import {
  appRecovery,
  keptParkedLog,
  parseStreamRuntimeConfig,
  type GroupMembership,
  RuntimeSupervisor,
  StreamRuntime,
  type StreamRuntimeConfig,
  type SupervisedPhase,
  type TopicPartition,
} from '@sluice/stream';
import { type TransformerAppConfig } from '../config/transformer-app-config';
import { OutputSchemaRegistrations } from './output-schemas';
import { OutputTopics } from './output-topics';
import { PipelineProcessor } from './pipeline-processor';

export type TransformerPhase = SupervisedPhase;

export interface TransformerStatus {
  readonly pipeline: string;
  readonly group: string;
  readonly delivery: string;
  readonly phase: TransformerPhase;
  /** Paused through the management API: no records are fetched, the group membership stays. */
  readonly paused: boolean;
  readonly topics: readonly string[];
  readonly assignedPartitions: readonly TopicPartition[];
  /** Consumer-group membership: `member` when settled, `rebalancing` while partitions move. */
  readonly membership: GroupMembership;
  readonly recordsProcessed: number;
  readonly recordsDeadLettered: number;
  readonly recordsParked: number;
  readonly schemaRegistrations: number;
  /** This process's resident set and V8 heap in use, bytes. */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
  readonly lastError?: string;
  /** In phase `retrying`: when the next attempt starts. */
  readonly retryAt?: string;
  /** Progress-based liveness: `stalled` when records waited `liveness.stallAfterMs` with nothing committed. */
  readonly liveness?: LivenessView;
}

/**
 * Reads the pipeline named by the configuration (a file, relative to `baseDir`, or inline). An
 * invalid pipeline throws a ConfigError naming the file and the YAML path.
 */
export function pipelineFromConfig(config: TransformerAppConfig, baseDir: string): CompiledPipeline {
  if (typeof config.pipeline === 'string') {
    const file = isAbsolute(config.pipeline) ? config.pipeline : resolve(baseDir, config.pipeline);
    return loadPipeline(file);
  }
  return compilePipeline(parsePipelineConfig(config.pipeline, { source: 'pipeline (inline)' }), { baseDir });
}

/**
 * One pipeline run as a consumer group: the compiled pipeline inside a PipelineProcessor inside a
 * StreamRuntime (exactly-once or at-least-once, DLQ `<group>.dlq`, retries, parking as the pipeline
 * file says), with the counters the status endpoint shows.
 */
export class Transformer {
  /** The runtime, kept running across the management API's restarts and pauses. */
  readonly runtime: RuntimeSupervisor;
  private admin: Admin | undefined;
  private processor: PipelineProcessor | undefined;
  private processed = 0;
  private deadLettered = 0;
  private parked = 0;
  private topics: string[] = [];
  private readonly schemas: OutputSchemaRegistrations;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly pipeline: CompiledPipeline,
    private readonly config: TransformerAppConfig,
    private readonly registry: SchemaRegistryClient,
    private readonly log: Logger,
  ) {
    this.schemas = new OutputSchemaRegistrations(registry);
    this.runtime = new RuntimeSupervisor(
      () => this.newRuntime(),
      (error) => this.log.error({ err: error }, 'transformer runtime failed'),
      appRecovery({
        app: 'transformer',
        group: pipeline.config.groupId,
        prepare: () => this.prepare(),
        stallAfterMs: config.liveness.stallAfterMs,
        shutdownTimeoutMs: config.runtime.shutdownTimeoutMs ?? 10_000,
        log,
      }),
    );
  }

  get group(): string {
    return this.pipeline.config.groupId;
  }

  /** Settles when the runtime stopped; rejects when it failed (also after a restart). */
  get done(): Promise<void> {
    return this.runtime.done;
  }

  /**
   * Starts the pipeline, waiting (phase `retrying`, the reason in the status) while Kafka does not
   * answer or an input topic does not exist yet, as a Kafka Connect sink does.
   */
  start(): void {
    // In the background: the process answers probes, /status and SIGTERM while it waits. A failure
    // no retry fixes rejects `done`.
    this.runtime.start().then(
      () =>
        this.log.info(
          { pipeline: this.pipeline.config.name, group: this.group, topics: this.topics },
          'transformer running',
        ),
      () => undefined,
    );
  }

  /** What a runtime needs before it starts: the input topics, the output topics, the processor. */
  private async prepare(): Promise<void> {
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

  private newRuntime(): StreamRuntime {
    return new StreamRuntime({
      kafka: this.config.kafka,
      config: this.runtimeConfig(),
      processor: this.processor!,
      onOutcome: (_record, outcome) => {
        if (outcome === 'processed') this.processed++;
        else if (outcome === 'dead-lettered') this.deadLettered++;
        else this.parked++;
      },
      onKeptParked: (kept) => this.log.warn(...keptParkedLog(kept)),
    });
  }

  /** Drains in-flight records and commits (within `runtime.shutdownTimeoutMs`), then disconnects. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    await this.runtime.stop();
    await this.pipeline.close();
    await this.admin?.disconnect();
  }

  status(): TransformerStatus {
    return {
      pipeline: this.pipeline.config.name,
      group: this.group,
      delivery: this.pipeline.config.mode,
      phase: this.runtime.phase,
      paused: this.runtime.paused,
      topics: this.topics,
      assignedPartitions: this.runtime.assignedPartitions(),
      membership: this.runtime.membership(),
      recordsProcessed: this.processed,
      recordsDeadLettered: this.deadLettered,
      recordsParked: this.parked,
      schemaRegistrations: this.schemas.registrations,
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
      ...(this.runtime.lastError !== undefined ? { lastError: String(this.runtime.lastError) } : {}),
      ...(this.runtime.retryAt !== undefined ? { retryAt: this.runtime.retryAt.toISOString() } : {}),
      ...(this.runtime.liveness !== undefined ? { liveness: this.runtime.liveness.observe() } : {}),
    };
  }

  private runtimeConfig(): StreamRuntimeConfig {
    const { runtime } = this.config;
    const pipeline = this.pipeline.config;
    return parseStreamRuntimeConfig(
      {
        ...runtime,
        group: pipeline.groupId,
        topics: this.topics,
        delivery: pipeline.mode,
        failure: { retry: pipeline.retry, onKeyFailure: pipeline.onKeyFailure },
      },
      'runtime',
    );
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
