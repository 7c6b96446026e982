import { type LivenessView, type Logger, watchCircuitBreakers } from '@sluice/observability';
import { RecordDecoder, type SchemaRegistryClient } from '@sluice/schema';
import {
  type CircuitTransition,
  type DestinationStatus,
  HttpDestination,
  HttpSinkProcessor,
  RecordDecoding,
} from '@sluice/sink-http';
import {
  appRecovery,
  keptParkedLog,
  type GroupMembership,
  parseStreamRuntimeConfig,
  requireInputTopics,
  RuntimeSupervisor,
  StreamRuntime,
  type SupervisedPhase,
  type TopicPartition,
} from '@sluice/stream';
import { type SinkHttpAppConfig } from '../config/sink-http-app-config';

export type SinkHttpPhase = SupervisedPhase;

export interface PartitionStatus extends TopicPartition {
  readonly committedOffset?: number;
  readonly highWatermark?: number;
  readonly lag?: number;
}

export interface SinkHttpStatus {
  readonly group: string;
  readonly phase: SinkHttpPhase;
  /** Paused through the management API: no records are fetched, the group membership stays. */
  readonly paused: boolean;
  readonly delivery: 'at-least-once';
  readonly topics: readonly string[];
  readonly deadLetterTopic: string;
  /** Consumer-group membership: `member` when settled, `rebalancing` while partitions move. */
  readonly membership: GroupMembership;
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
  /** Why the runtime stopped, when it failed, or why it waits to retry. */
  readonly lastError?: string;
  /** In phase `retrying`: when the next attempt starts. */
  readonly retryAt?: string;
  /** Progress-based liveness: `stalled` when records waited `liveness.stallAfterMs` with nothing committed. */
  readonly liveness?: LivenessView;
}

/** Listener for circuit breaker transitions of any destination (metrics, logs). */
export type BreakerListener = (destination: string, transition: CircuitTransition) => void;

/**
 * The sink as a consumer group: an HttpSinkProcessor (decode, route, render, deliver) inside a
 * StreamRuntime with at-least-once delivery — a partition's offset is committed after its records
 * were answered 2xx by every destination or dead-lettered — plus the counters of /status.
 */
export class HttpSink {
  readonly destinations: readonly HttpDestination[];
  private readonly processor: HttpSinkProcessor;
  /** The runtime, kept running across the management API's restarts and pauses. */
  readonly runtime: RuntimeSupervisor;
  /** Outcomes as the runtime reports them: `done` includes records that were skipped or unrouted. */
  private counts = { done: 0, deadLettered: 0, parked: 0 };
  private stopped: Promise<void> | undefined;
  private unwatchBreakers: (() => void) | undefined;

  constructor(
    private readonly config: SinkHttpAppConfig,
    registry: SchemaRegistryClient,
    private readonly log: Logger,
  ) {
    this.destinations = config.destinations.map((d) => new HttpDestination(d));
    for (const destination of this.destinations) {
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
    this.runtime = new RuntimeSupervisor(
      () => this.newRuntime(),
      (error) => log.error({ err: error }, 'sink-http runtime failed'),
      appRecovery({
        app: 'sink-http',
        group: config.group,
        prepare: () => requireInputTopics(config.kafka, config.topics),
        // Records held back by an open circuit wait on the destination, not on this process.
        blockedBy: () => {
          const open = this.destinations.filter((d) => d.breaker.state !== 'closed').map((d) => d.name);
          return open.length > 0 ? `destination(s) ${open.join(', ')} (circuit not closed)` : undefined;
        },
        stallAfterMs: config.liveness.stallAfterMs,
        shutdownTimeoutMs: config.runtime.shutdownTimeoutMs ?? 10_000,
        log,
      }),
    );
    const usesAvro = config.keyFormat === 'avro' || config.valueFormat === 'avro';
    this.processor = new HttpSinkProcessor({
      destinations: this.destinations,
      decoding: new RecordDecoding(
        config.keyFormat,
        config.valueFormat,
        usesAvro ? new RecordDecoder(registry) : undefined,
      ),
      tombstones: config.tombstones,
    });
  }

  get group(): string {
    return this.config.group;
  }

  /** Settles when the runtime stopped; rejects when it failed (also after a restart). */
  get done(): Promise<void> {
    return this.runtime.done;
  }

  /** Calls `listener` on every breaker transition of every destination; returns the unsubscribe. */
  onBreakerStateChange(listener: BreakerListener): () => void {
    const offs = this.destinations.map((d) => d.breaker.onStateChange((t) => listener(d.name, t)));
    return () => offs.forEach((off) => off());
  }

  /** Starts delivering; waits (phase `retrying`) while Kafka does not answer or an input topic is missing. */
  start(): void {
    // sluice_circuit_breaker_state{group,destination}, read at each scrape.
    this.unwatchBreakers = watchCircuitBreakers(this.group, () =>
      this.destinations.map((d) => ({ destination: d.name, state: d.breaker.state })),
    );
    // In the background: the process answers probes, /status and SIGTERM while it waits. A failure
    // no retry fixes rejects `done`.
    this.runtime.start().then(
      () =>
        this.log.info(
          {
            group: this.group,
            topics: this.config.topics,
            destinations: this.destinations.map((d) => d.name),
          },
          'sink-http running',
        ),
      () => undefined,
    );
  }

  private newRuntime(): StreamRuntime {
    return new StreamRuntime({
      kafka: this.config.kafka,
      config: this.runtimeConfig(),
      processor: this.processor,
      onOutcome: (_record, outcome) => {
        if (outcome === 'processed') this.counts.done++;
        else if (outcome === 'dead-lettered') this.counts.deadLettered++;
        else this.counts.parked++;
      },
      onKeptParked: (kept) => this.log.warn(...keptParkedLog(kept)),
    });
  }

  /** Finishes in-flight requests and commits (within `runtime.shutdownTimeoutMs`), then closes connections. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  status(): SinkHttpStatus {
    const skipped = this.processor.skipCounters();
    const destinations = this.destinations.map((d) => d.status());
    const latest = destinations
      .filter((d) => d.lastErrorAt !== undefined)
      .sort((a, b) => b.lastErrorAt! - a.lastErrorAt!)[0];
    return {
      group: this.group,
      phase: this.runtime.phase,
      paused: this.runtime.paused,
      delivery: 'at-least-once',
      topics: this.config.topics,
      deadLetterTopic: `${this.group}.dlq`,
      membership: this.runtime.membership(),
      partitions: this.runtime.partitionProgress().map((p) => ({
        topic: p.topic,
        partition: p.partition,
        ...(p.committedOffset !== undefined ? { committedOffset: Number(p.committedOffset) } : {}),
        ...(p.highWatermark !== undefined ? { highWatermark: Number(p.highWatermark) } : {}),
        ...(p.lag !== undefined ? { lag: Number(p.lag) } : {}),
      })),
      records: {
        delivered: this.counts.done - skipped.tombstonesSkipped - skipped.unrouted,
        deadLettered: this.counts.deadLettered,
        parked: this.counts.parked,
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
      memory: { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed },
      ...(this.runtime.lastError !== undefined ? { lastError: String(this.runtime.lastError) } : {}),
      ...(this.runtime.retryAt !== undefined ? { retryAt: this.runtime.retryAt.toISOString() } : {}),
      ...(this.runtime.liveness !== undefined ? { liveness: this.runtime.liveness.observe() } : {}),
    };
  }

  private async shutdown(): Promise<void> {
    await this.runtime.stop();
    await Promise.all(this.destinations.map((d) => d.close().catch(() => undefined)));
    this.unwatchBreakers?.();
  }

  private runtimeConfig() {
    const { runtime } = this.config;
    return parseStreamRuntimeConfig(
      {
        ...runtime,
        group: this.config.group,
        topics: this.config.topics,
        delivery: 'at-least-once',
        failure: {
          ...(runtime.failure.retry ? { retry: runtime.failure.retry } : {}),
          ...(runtime.failure.onKeyFailure ? { onKeyFailure: runtime.failure.onKeyFailure } : {}),
        },
      },
      'runtime',
    );
  }
}
