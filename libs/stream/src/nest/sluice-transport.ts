import { type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { FatalRecordError } from '@sluice/errors';
import { type KafkaConfig } from '@sluice/kafka';
import { type RecordDecoder } from '@sluice/schema';
import { type ProcessContext, type RecordProcessor } from '../processor/record-processor';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { StreamRuntime } from '../runtime/stream-runtime';
import { parseStreamRuntimeConfig, type StreamRuntimeConfigInput } from '../runtime/stream-runtime-config';
import { SluiceRecordContext } from './sluice-record-context';

export interface SluiceTransportOptions {
  readonly kafka: KafkaConfig;
  /** Runtime settings; `topics` defaults to the handlers' patterns (after `topicOf`). */
  readonly runtime: Omit<StreamRuntimeConfigInput, 'topics'> & { topics?: string[] };
  /**
   * Decodes keys and values (Confluent-framed Avro) before the handler sees them; a record that
   * does not decode is dead-lettered with stage KEY_CONVERTER / VALUE_CONVERTER. Default: none,
   * handlers get the raw bytes.
   */
  readonly decoder?: RecordDecoder;
  /** Binds a handler's pattern to a topic name (e.g. from configuration). Default: the pattern is the topic. */
  readonly topicOf?: (pattern: string) => string;
  /** Where the runtime settings came from, for configuration errors. */
  readonly source?: string;
}

/**
 * A Nest microservice transport backed by the Sluice stream runtime: `@EventPattern('<topic>')`
 * handlers receive each record's decoded value and a SluiceRecordContext, and get the runtime's
 * per-key order, retries, dead-letter topic and exactly-once delivery. A handler may return the
 * records to produce (in the same transaction as the offset, under exactly-once); throwing a
 * RetriableError retries it, anything else dead-letters the record with stage TRANSFORMATION.
 *
 * Use in a hybrid app: `app.connectMicroservice({ strategy: new SluiceTransport(options) })`, then
 * `app.startAllMicroservices()`; `app.close()` (enableShutdownHooks for SIGTERM) stops it gracefully.
 */
export class SluiceTransport extends Server implements CustomTransportStrategy {
  private runtime: StreamRuntime | undefined;

  constructor(private readonly options: SluiceTransportOptions) {
    super();
  }

  /** The running runtime (for health checks and tests); undefined before listen. */
  get streamRuntime(): StreamRuntime | undefined {
    return this.runtime;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const topicOf = this.options.topicOf ?? ((pattern: string) => pattern);
      const byTopic = new Map<string, { pattern: string; handler: MessageHandler }>();
      for (const [pattern, handler] of this.messageHandlers)
        byTopic.set(topicOf(pattern), { pattern, handler });
      const config = parseStreamRuntimeConfig(
        { ...this.options.runtime, topics: this.options.runtime.topics ?? [...byTopic.keys()] },
        this.options.source,
      );
      this.runtime = new StreamRuntime({
        kafka: this.options.kafka,
        config,
        processor: new HandlerProcessor(byTopic, this.options.decoder, (r) => this.transformToObservable(r)),
      });
      await this.runtime.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await this.runtime?.stop();
  }

  on(): never {
    throw new Error('SluiceTransport has no events to subscribe to; use the runtime outcome hooks');
  }

  unwrap<T>(): T {
    return this.runtime as T;
  }
}

/** Routes a record to its topic's handler: decode (named stages), call, collect what it returns. */
class HandlerProcessor implements RecordProcessor {
  readonly name = 'NestEventHandler';

  constructor(
    private readonly byTopic: Map<string, { pattern: string; handler: MessageHandler }>,
    private readonly decoder: RecordDecoder | undefined,
    private readonly toObservable: Server['transformToObservable'],
  ) {}

  async process(record: StreamRecord, ctx: ProcessContext): Promise<readonly OutputRecord[]> {
    const route = this.byTopic.get(record.topic);
    if (!route) throw new FatalRecordError(`no @EventPattern handler for topic ${record.topic}`);
    const decoder = this.decoder;
    const value =
      decoder && record.value
        ? (await ctx.stage('VALUE_CONVERTER', 'RecordDecoder', () => decoder.decode(record.value!))).value
        : record.value;
    const context = new SluiceRecordContext(record, ctx.attempt);
    const result = await ctx.stage('TRANSFORMATION', route.pattern, async () => {
      const returned: unknown = await route.handler(value, context);
      return lastValueFrom(this.toObservable(returned), { defaultValue: undefined });
    });
    return Array.isArray(result) ? (result as OutputRecord[]) : [];
  }
}
