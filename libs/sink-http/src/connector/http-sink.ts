import { z } from 'zod';
import {
  type ConnectorConfig,
  ConsumingConnector,
  type PartitionPosition,
  processMemory,
  type RuntimeParts,
  streamRuntimeConfigOf,
  type SupervisionStatus,
} from '@sluice/connect';
import { requireInputTopics, type OutputRecord } from '@sluice/stream';
import { type LivenessView, type Logger, watchCircuitBreakers } from '@sluice/observability';
import { RecordDecoder, type SchemaRegistryClient } from '@sluice/schema';
import { HttpDestination, type DestinationStatus } from '../delivery/http-destination';
import { HttpSinkProcessor } from '../delivery/http-sink-processor';
import { RecordDecoding } from '../decoding/record-decoding';
import { type sinkHttpSettings } from './sink-http-config';
import { type CircuitTransition } from '@sluice/http-client';

export type SinkHttpConfig = ConnectorConfig<typeof sinkHttpSettings>;
export type SinkHttpConfigInput = {
  [K in keyof typeof sinkHttpSettings]?: z.input<(typeof sinkHttpSettings)[K]>;
};

export type PartitionStatus = PartitionPosition<number>;

export interface SinkHttpStatus extends SupervisionStatus {
  readonly group: string;
  readonly delivery: 'at-least-once';
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  /** Committed offset, high watermark and lag of each partition processed here. */
  readonly partitions: readonly PartitionStatus[];
  readonly records: {
    /** Records every matching destination answered 2xx (skipped and unrouted ones not counted). */
    readonly delivered: number;
    readonly deadLettered: number;
    readonly parked: number;
    readonly tombstonesSkipped: number;
    readonly unrouted: number;
    /** Records being decoded or delivered now, and the most at once since start (bounded by the runtime). */
    readonly inFlight: number;
    readonly maxInFlight: number;
  };
  readonly destinations: readonly DestinationStatus[];
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
  /** The most recent delivery failure of any destination (a retry or a dead letter). */
  readonly lastDeliveryError?: {
    readonly destination: string;
    readonly message: string;
    readonly at: string;
  };
  readonly liveness?: LivenessView;
}

/** Listener for circuit breaker transitions of any destination (metrics, logs). */
export type BreakerListener = (destination: string, transition: CircuitTransition) => void;

/**
 * The sink as a consumer group: an HttpSinkProcessor (decode, route, render, deliver) inside the
 * shared consuming life with at-least-once delivery — a partition's offset is committed after its
 * records were answered 2xx by every destination or dead-lettered.
 */
export class HttpSink extends ConsumingConnector<OutputRecord> {
  readonly destinations: readonly HttpDestination[];
  private readonly processor: HttpSinkProcessor;
  private unwatchBreakers: (() => void) | undefined;

  constructor(
    private readonly config: SinkHttpConfig,
    registry: SchemaRegistryClient,
    logger: Logger,
  ) {
    const destinations = config.destinations.map((d) => new HttpDestination(d));
    super({
      app: 'sink-http',
      group: config.group,
      kafka: config.kafka,
      stallAfterMs: config.liveness.stallAfterMs,
      shutdownTimeoutMs: config.runtime.shutdownTimeoutMs,
      logger,
      // Records held back by an open circuit wait on the destination, not on this process.
      blockedBy: () => {
        const open = destinations.filter((d) => d.breaker.state !== 'closed').map((d) => d.name);
        return open.length > 0 ? `destination(s) ${open.join(', ')} (circuit not closed)` : undefined;
      },
    });
    this.destinations = destinations;
    for (const destination of destinations) logBreaker(destination, logger);
    const usesAvro = config.keyFormat === 'avro' || config.valueFormat === 'avro';
    this.processor = new HttpSinkProcessor({
      destinations,
      decoding: new RecordDecoding(
        config.keyFormat,
        config.valueFormat,
        usesAvro ? new RecordDecoder(registry) : undefined,
      ),
      tombstones: config.tombstones,
    });
  }

  /** Calls `listener` on every breaker transition of every destination; returns the unsubscribe. */
  onBreakerStateChange(listener: BreakerListener): () => void {
    const offs = this.destinations.map((d) => d.breaker.onStateChange((t) => listener(d.name, t)));
    return () => offs.forEach((off) => off());
  }

  override start(): void {
    // sluice_circuit_breaker_state{group,destination}, read at each scrape.
    this.unwatchBreakers ??= watchCircuitBreakers(this.group, () =>
      this.destinations.map((d) => ({ destination: d.name, state: d.breaker.state })),
    );
    super.start();
  }

  protected prepare(): Promise<void> {
    return requireInputTopics(this.config.kafka, this.config.topics);
  }

  protected runtimeParts(): RuntimeParts<OutputRecord> {
    const { config } = this;
    return {
      config: streamRuntimeConfigOf(config.runtime, {
        group: config.group,
        topics: config.topics,
        delivery: 'at-least-once',
      }),
      processor: this.processor,
    };
  }

  protected async disconnect(): Promise<void> {
    await Promise.all(this.destinations.map((d) => d.close().catch(() => undefined)));
    this.unwatchBreakers?.();
  }

  protected runningLog(): Record<string, unknown> {
    return {
      group: this.group,
      topics: this.config.topics,
      destinations: this.destinations.map((d) => d.name),
    };
  }

  status(): SinkHttpStatus {
    const skipped = this.processor.skipCounters();
    const outcomes = this.outcomes();
    const destinations = this.destinations.map((d) => d.status());
    const latest = destinations
      .filter((d) => d.lastErrorAt !== undefined)
      .sort((a, b) => b.lastErrorAt! - a.lastErrorAt!)[0];
    return {
      group: this.group,
      ...this.supervisionStatus(),
      delivery: 'at-least-once',
      topics: this.config.topics,
      deadLetterTopic: `${this.group}.dlq`,
      partitions: this.partitionPositions(Number),
      records: {
        // `processed` includes records that were skipped or unrouted.
        delivered: outcomes.processed - skipped.tombstonesSkipped - skipped.unrouted,
        deadLettered: outcomes.deadLettered,
        parked: outcomes.parked,
        ...skipped,
      },
      destinations,
      ...(latest
        ? {
            lastDeliveryError: {
              destination: latest.name,
              message: latest.lastError!,
              at: new Date(latest.lastErrorAt!).toISOString(),
            },
          }
        : {}),
      memory: processMemory(),
    };
  }
}

function logBreaker(destination: HttpDestination, log: Logger): void {
  if (!destination.config.tls.verify)
    log.warn(
      { destination: destination.name },
      'TLS CERTIFICATE VERIFICATION IS OFF for this destination: anyone on the path can read and change its requests',
    );
  destination.breaker.onStateChange((t) => {
    const entry = { destination: destination.name, from: t.from, to: t.to };
    // Warn once per outage; a failed probe re-opening the circuit every cool-down is debug.
    if (t.to === 'open' && t.from === 'closed')
      log.warn(entry, 'circuit opened: requests to this destination are paused');
    else if (t.to === 'closed') log.info(entry, 'circuit closed: the destination answers again');
    else log.debug(entry, `circuit ${t.to}`);
  });
}
