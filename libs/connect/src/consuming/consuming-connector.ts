import { type KafkaConfig, kafkaFailureHint } from '@sluice/kafka';
import { type Connector, type ConnectorOffsets, StreamConnector } from '@sluice/management';
import {
  groupMembershipProbe,
  type HealthProbe,
  type HealthProbes,
  type LivenessView,
  type Logger,
  phaseProbe,
  progressProbe,
} from '@sluice/observability';
import {
  appRecovery,
  type GroupMembership,
  keptParkedLog,
  type PartitionProgress,
  RuntimeSupervisor,
  StreamRuntime,
  type StreamRuntimeOptions,
  type SupervisedPhase,
} from '@sluice/stream';
import { type RunningConnector } from '../definition/connector-definition';

export interface ConsumingConnectorOptions {
  /** The app's name in logs: `<app> runtime failed`, `<app> running`. */
  readonly app: string;
  readonly group: string;
  readonly kafka: KafkaConfig;
  readonly stallAfterMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: Logger;
  /** What holds records back that is not this process (an open circuit): not a stall. */
  readonly blockedBy?: () => string | undefined;
}

/** What every consuming connector's /status starts with. */
export interface SupervisionStatus {
  readonly phase: SupervisedPhase;
  /** Paused through the management API: no records are fetched, the group membership stays. */
  readonly paused: boolean;
  /** Consumer-group membership: `member` when settled, `rebalancing` while partitions move. */
  readonly membership: GroupMembership;
  /** Why the runtime stopped, when it failed, or why it waits to retry. */
  readonly lastError?: string;
  /** In phase `retrying`: when the next attempt starts. */
  readonly retryAt?: string;
  /** Progress-based liveness: `stalled` when records waited `liveness.stallAfterMs` with nothing committed. */
  readonly liveness?: LivenessView;
}

/** Records as the runtime reported their outcomes. */
export interface OutcomeCounts {
  readonly processed: number;
  readonly deadLettered: number;
  readonly parked: number;
}

/** A partition's position with offsets written as `T` (a number for JSON, a string for the API). */
export interface PartitionPosition<T> {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset?: T;
  readonly highWatermark?: T;
  readonly lag?: T;
}

/** The runtime parts a connector supplies: its processor and, for a sink, its delivery. */
export type RuntimeParts<O> = Omit<
  StreamRuntimeOptions<O>,
  'kafka' | 'onOutcome' | 'onKeptParked' | 'onFailing'
>;

/**
 * The life every connector on the stream runtime shares (transformer, sinks): a RuntimeSupervisor
 * that waits for Kafka and the input topics and restarts after failures and stalls, the outcome
 * counters, the parked-key log, a drain-once stop, the status, management and probe views. A
 * connector says what it prepares, what its runtime runs, and what it releases.
 */
export abstract class ConsumingConnector<O = unknown> {
  /** The runtime, kept running across the management API's restarts and pauses. */
  readonly runtime: RuntimeSupervisor<O>;
  private readonly counts = { processed: 0, deadLettered: 0, parked: 0 };
  private stopped: Promise<void> | undefined;

  constructor(protected readonly supervision: ConsumingConnectorOptions) {
    const { app, logger } = supervision;
    this.runtime = new RuntimeSupervisor<O>(
      () => this.newRuntime(),
      (error) => {
        const hint = kafkaFailureHint(error);
        logger.error({ err: error }, `${app} runtime failed${hint === undefined ? '' : `: ${hint}`}`);
      },
      appRecovery({
        app,
        group: supervision.group,
        prepare: () => this.prepare(),
        ...(supervision.blockedBy ? { blockedBy: supervision.blockedBy } : {}),
        stallAfterMs: supervision.stallAfterMs,
        shutdownTimeoutMs: supervision.shutdownTimeoutMs,
        log: logger,
      }),
    );
  }

  /** What a runtime needs before it starts (input topics, target connections); retried until it works. */
  protected abstract prepare(): Promise<void>;
  /** The parts of the next runtime, once `prepare` succeeded. */
  protected abstract runtimeParts(): RuntimeParts<O>;
  /** Closes what the connector opened (pools, admin clients, destinations), after the runtime stopped. */
  protected abstract disconnect(): Promise<void>;
  /** Fields of the `<app> running` log line. */
  protected abstract runningLog(): Record<string, unknown>;

  get group(): string {
    return this.supervision.group;
  }

  /** Settles when the runtime stopped; rejects when it failed (also after a restart). */
  get done(): Promise<void> {
    return this.runtime.done;
  }

  /**
   * Starts consuming, waiting (phase `retrying`, the reason in the status) while Kafka does not
   * answer or an input topic does not exist yet, as a Kafka Connect sink does. In the background:
   * the process answers probes, /status and SIGTERM meanwhile; a failure no retry fixes rejects `done`.
   */
  start(): void {
    this.runtime.start().then(
      () => this.supervision.logger.info(this.runningLog(), `${this.supervision.app} running`),
      () => undefined,
    );
  }

  /** Drains in-flight records and commits (within `runtime.shutdownTimeoutMs`), then releases. */
  stop(): Promise<void> {
    this.stopped ??= this.runtime.stop().then(() => this.disconnect());
    return this.stopped;
  }

  /** Records processed, dead-lettered and parked since start. */
  protected outcomes(): OutcomeCounts {
    return { ...this.counts };
  }

  /** The runtime's phase, pause, membership, last error, retry time and liveness. */
  protected supervisionStatus(): SupervisionStatus {
    const { runtime } = this;
    return {
      phase: runtime.phase,
      paused: runtime.paused,
      membership: runtime.membership(),
      ...(runtime.lastError !== undefined ? { lastError: String(runtime.lastError) } : {}),
      ...(runtime.retryAt !== undefined ? { retryAt: runtime.retryAt.toISOString() } : {}),
      ...(runtime.liveness !== undefined ? { liveness: runtime.liveness.observe() } : {}),
    };
  }

  /**
   * Each assigned partition's committed offset, high watermark and lag. A connector that keeps its
   * offsets elsewhere (a sink's target) answers `storedOffset` for partitions not committed here yet.
   */
  partitionPositions<T>(as: (offset: bigint) => T): PartitionPosition<T>[] {
    return this.runtime.partitionProgress().map((p) => {
      const committed = p.committedOffset ?? this.storedOffset(p);
      const lag =
        p.lag ??
        (committed !== undefined && p.highWatermark !== undefined
          ? p.highWatermark > committed
            ? p.highWatermark - committed
            : 0n
          : undefined);
      return {
        topic: p.topic,
        partition: p.partition,
        ...(committed !== undefined ? { committedOffset: as(committed) } : {}),
        ...(p.highWatermark !== undefined ? { highWatermark: as(p.highWatermark) } : {}),
        ...(lag !== undefined ? { lag: as(lag) } : {}),
      };
    });
  }

  /** Where a partition stands before its first commit by this member, when the connector knows. */
  protected storedOffset(_partition: PartitionProgress): bigint | undefined {
    return undefined;
  }

  /** This connector in the management API: one entry, named after its group unless `name` says otherwise. */
  managementConnector(type: 'transform' | 'sink', name = this.group): Connector {
    return new StreamConnector(name, type, this.runtime, (): ConnectorOffsets => ({
      partitions: this.partitionPositions(String).map(({ highWatermark, ...p }) => ({
        ...p,
        ...(highWatermark !== undefined ? { endOffset: highWatermark } : {}),
      })),
    }));
  }

  /**
   * Live: the runtime has not stopped on a failure (a restart resumes from the last commit) and is
   * not stalled (records waiting `liveness.stallAfterMs` with nothing committed while its
   * dependencies answer). Ready: it consumes as a settled group member and its dependencies answer.
   */
  probes(dependencies: readonly HealthProbe[]): HealthProbes {
    const { app } = this.supervision;
    const state = () => this.supervisionStatus();
    return {
      live: [
        phaseProbe(app, state, (phase) => phase !== 'failed'),
        progressProbe('progress', this.runtime.liveness!, dependencies),
      ],
      ready: [
        phaseProbe(app, state, (phase) => phase === 'running'),
        groupMembershipProbe(() => ({ group: this.group, membership: this.runtime.membership() })),
        ...dependencies,
      ],
    };
  }

  /**
   * This connector as an app serves it: one management entry (named after its group unless `name`
   * says otherwise) and its probes.
   */
  hosted(
    type: 'transform' | 'sink',
    dependencies: readonly HealthProbe[],
    name = this.group,
  ): this & RunningConnector {
    return Object.assign(this, {
      management: [this.managementConnector(type, name)],
      probes: this.probes(dependencies),
    });
  }

  /** GET /status. */
  abstract status(): object;

  private newRuntime(): StreamRuntime<O> {
    return new StreamRuntime<O>({
      ...this.runtimeParts(),
      kafka: this.supervision.kafka,
      onOutcome: (_record, outcome) => {
        if (outcome === 'processed') this.counts.processed++;
        else if (outcome === 'dead-lettered') this.counts.deadLettered++;
        else this.counts.parked++;
      },
      onKeptParked: (kept) => this.supervision.logger.warn(...keptParkedLog(kept)),
      onFailing: (error) =>
        this.supervision.logger.warn(
          { err: error },
          `${this.supervision.app} runtime failing: it drains the records it accepted, then stops`,
        ),
    } as StreamRuntimeOptions<O>);
  }
}

/** This process's resident set and V8 heap in use, bytes. */
export function processMemory(): { readonly rssBytes: number; readonly heapUsedBytes: number } {
  return { rssBytes: process.memoryUsage.rss(), heapUsedBytes: process.memoryUsage().heapUsed };
}
