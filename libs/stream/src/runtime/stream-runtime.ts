import {
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  KafkaJSNonRetriableError,
  type KafkaMessage,
} from 'kafkajs';
import {
  createConsumer,
  createKafkaClient,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  type KafkaClientOptions,
  readMaxMessageBytes,
  type KafkaConfig,
  TopicProvisioner,
} from '@sluice/kafka';
import { systemClock } from '@sluice/errors';
import { releaseInTurn } from '@sluice/observability';
import {
  type DeadLetterLimit,
  deadLetterTopicConfigs,
  dlqTopicFor,
} from '../dead-letter/dead-letter-headers';
import { headersFromMap, type HeaderMap } from '../dead-letter/record-headers';
import { AtLeastOnceDelivery } from '../delivery/at-least-once-delivery';
import { ExactlyOnceDelivery } from '../delivery/exactly-once-delivery';
import { type DeliveryStrategy, type TopicPartition } from '../delivery/partition-delivery';
import { type RecordProcessor } from '../processor/record-processor';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { ParkedKeyLog } from '../failure/parked-key-log';
import { parkedTopicFor } from '../failure/parked-key-record';
import { type BatchOutcome, PartitionWorker } from './partition-worker';
import { type KeptParked, type RecordOutcome, RecordRunner } from './record-runner';
import { type StreamRuntimeConfig } from './stream-runtime-config';
import { ChangelogReader } from '../state/changelog-reader';
import { changelogTopicFor } from '../state/changelog-topic';
import { type StoreRestoreProgress } from '../state/key-value-store';
import { PartitionState } from '../state/partition-state';
import { type StandbyPosition, StandbyStates } from '../state/standby-states';
import { StateDirectory } from '../state/state-directory';
import { storeSpec } from '../state/store-engine';
import { StreamMetrics } from './stream-metrics';

/** Thrown by a commit for a partition this member no longer owns: nothing is committed. */
export class PartitionLostError extends Error {
  constructor(tp: TopicPartition) {
    super(`partition ${tp.topic}[${tp.partition}] is no longer assigned to this member`);
  }
}

/** A runtime's `start()` when `stop()` was called before it finished: nothing keeps consuming. */
export class RuntimeStoppedError extends Error {
  constructor(group: string) {
    super(`the stream runtime of group ${group} was stopped while starting`);
    this.name = 'RuntimeStoppedError';
  }
}

interface StreamRuntimeBaseOptions {
  /** Validated Kafka connection settings (`kafkaConfigSchema`). */
  readonly kafka: KafkaConfig;
  readonly kafkaClient?: KafkaClientOptions;
  /** Validated runtime settings (`parseStreamRuntimeConfig`). */
  readonly config: StreamRuntimeConfig;
  /** Called with each record's outcome (tests, status counters). */
  readonly onOutcome?: (record: StreamRecord, outcome: RecordOutcome) => void;
  /** A redrive of a parked key was processed but the key stays parked (see docs/dlq.md). */
  readonly onKeptParked?: (kept: KeptParked) => void;
  /** Feed the `sluice_stream_*` series of the process's /metrics (docs/metrics.md). Default true. */
  readonly metrics?: boolean;
  /**
   * Told of the first failure as it stops the runtime (or during a stop already under way), before
   * the drain ends (`done` rejects with it once stopped): a drain that hangs is then not silent (logs).
   */
  readonly onFailing?: (error: unknown) => void;
}

/** Where this member stands in its consumer group. */
export type GroupMembership = 'joining' | 'member' | 'rebalancing' | 'stopped';

/**
 * `O` is what the processor hands the delivery. With Kafka `OutputRecord`s (the default) `delivery`
 * is optional: `config.delivery` picks one of the two Kafka strategies. Any other `O` (a sink's row
 * changes) needs the sink's own `delivery`.
 */
export type StreamRuntimeOptions<O = OutputRecord> = StreamRuntimeBaseOptions & {
  readonly processor: RecordProcessor<O>;
} & ([O] extends [OutputRecord]
    ? {
        /**
         * Replaces the Kafka delivery chosen by `config.delivery` — the seam for sinks, which write
         * rows and offsets in their own database transaction. Given the client and the group committer.
         */
        readonly delivery?: (context: DeliveryContext) => DeliveryStrategy<O>;
      }
    : { readonly delivery: (context: DeliveryContext) => DeliveryStrategy<O> });

/** Where one assigned partition stands: what is committed, what the broker has, how far behind. */
export interface PartitionProgress extends TopicPartition {
  /** The next offset to consume as committed by this member (undefined before its first commit here). */
  readonly committedOffset?: bigint;
  /** The partition's high watermark as of the last fetched batch (while paused, read from the brokers every 2 s). */
  readonly highWatermark?: bigint;
  /** Records not yet committed: `highWatermark` minus the committed offset (or, before the first commit here, where the partition started: `PartitionWorker.startedFrom`). */
  readonly lag?: bigint;
}

export interface DeliveryContext {
  readonly kafka: Kafka;
  readonly config: StreamRuntimeConfig;
  /** Commits a group offset for a partition this member still owns (rejects with PartitionLostError otherwise). */
  commitGroupOffset(tp: TopicPartition, nextOffset: bigint): Promise<void>;
  /** The group's DLQ and its max.message.bytes: a dead letter larger is cut to fit (`OutputLimits`). */
  readonly deadLetters: DeadLetterLimit;
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/** How often a paused runtime reads its partitions' end offsets from the brokers. */
const PAUSED_END_OFFSETS_EVERY_MS = 2_000;

/**
 * The consumer group loop: one kafkajs consumer (eachBatch, autoCommit off), one PartitionWorker
 * per assigned partition, one delivery strategy (exactly-once or at-least-once, or a sink's).
 *
 * Rebalances: kafkajs has no revoke callback, so the runtime listens for the group's rebalance
 * and join events. When a rebalance starts, running batches get `revokeTimeoutMs` to finish and
 * commit (the old generation may still commit while the group prepares the rebalance); after the
 * new assignment, commits for partitions this member lost are refused, and workers of lost
 * partitions are closed (an open transaction aborted). `stop()` drains and commits.
 *
 * A failure that must not be skipped (a dead letter or output that cannot be written, a commit
 * refused for another reason) stops the whole runtime: `done` rejects, nothing past the failed
 * record is committed, and the next start resumes from the last commit.
 */
export class StreamRuntime<O = OutputRecord> {
  private kafka: Kafka | undefined;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private strategy: DeliveryStrategy<O> | undefined;
  private parkedLog: ParkedKeyLog | undefined;
  private changelogReader: ChangelogReader | undefined;
  /** Where stores kept on disk live (a processor that declared any). */
  private stateDirectory: StateDirectory | undefined;
  /** Warm copies of the partitions other members own (`standbyReplicas`). */
  private standby: StandbyStates | undefined;
  /** Partitions of the input (its changelogs have as many). */
  private inputPartitions = 0;
  private readonly runner: RecordRunner<O>;
  private readonly metrics: StreamMetrics | undefined;
  private unwatchMetrics: (() => void) | undefined;
  private membershipState: GroupMembership = 'joining';
  private readonly workers = new Map<string, PartitionWorker<O>>();
  private readonly closing = new Map<string, Promise<void>>();
  /** The member id of the last join: kafkajs rejoins as a new member after it restarts its consumer. */
  private memberId: string | undefined;
  /**
   * Where workers closed while their partitions stayed (or came back) here last committed, and
   * when the close ended: the new worker's first start is never behind it (the group's offset
   * read after the fence can trail a commit by milliseconds). Used once, and only within a session
   * timeout: an operator's offset reset needs the group empty for longer, and must win.
   */
  private readonly committedBeforeRejoin = new Map<string, { offset: bigint; at: number }>();
  /**
   * Per partition of a strategy that keeps its own position: its claim (`startingOffset`), made once
   * while the partition stays assigned here.
   */
  private readonly claims = new Map<string, Promise<bigint | undefined>>();
  /** Partitions whose fetch position was checked against the strategy's in this generation. */
  private readonly positioned = new Set<string>();
  private assignment = new Set<string>();
  private generation = new AbortController();
  private stopping = false;
  private deadLetterMaxBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  private starting: Promise<void> | undefined;
  private pausedState = false;
  /** While paused: the timer reading end offsets (a paused consumer fetches none). */
  private pausedEndOffsets: NodeJS.Timeout | undefined;
  /** The consumer was last told to pause (and not resumed since). */
  private pauseApplied = false;
  private readonly active = new Set<Promise<unknown>>();
  private stopped: Promise<void> | undefined;
  private failure: unknown;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  /** Settles when the runtime stopped: resolves after `stop()`, rejects when it failed. */
  readonly done: Promise<void>;

  constructor(private readonly options: StreamRuntimeOptions<O>) {
    const { config, processor } = options;
    this.metrics = options.metrics === false ? undefined : new StreamMetrics(config.group);
    this.runner = new RecordRunner<O>({
      group: config.group,
      processor,
      retryPolicy: config.failure.retry,
      onKeyFailure: config.failure.onKeyFailure,
      onOutcome: options.onOutcome,
      ...(options.onKeptParked ? { onKeptParked: options.onKeptParked } : {}),
      ...(this.metrics ? { metrics: this.metrics } : {}),
      // Without a delivery of its own the runtime produces the outputs to Kafka (O is OutputRecord).
      kafkaOutputs: options.delivery === undefined,
    });
    const stores = (processor.stateStores ?? []).map((s) => storeSpec(s).name);
    if (stores.length > 0) {
      if (options.delivery !== undefined || config.delivery !== 'exactly-once')
        throw new Error(
          `processor ${processor.name} keeps state (${stores.join(', ')}): it needs the exactly-once Kafka delivery`,
        );
      if (config.topics.length !== 1)
        throw new Error(
          `processor ${processor.name} keeps state (${stores.join(', ')}): it reads one input topic, not ${config.topics.length}`,
        );
    }
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  /** The dead-letter topic of this runtime's group. */
  get deadLetterTopic(): string {
    return dlqTopicFor(this.options.config.group);
  }

  /** The compacted topic that keeps parked keys across restarts and reassignments. */
  get parkedKeyTopic(): string {
    return parkedTopicFor(this.options.config.group);
  }

  /** The changelog topics of the processor's state stores (`<group>-<store>-changelog`). */
  get changelogTopics(): string[] {
    return (this.options.processor.stateStores ?? []).map((s) =>
      changelogTopicFor(this.options.config.group, storeSpec(s).name),
    );
  }

  /** With standby replicas: the warm copies kept here and how far each followed its changelog. */
  standbyPositions(): StandbyPosition[] | undefined {
    return this.standby?.positions();
  }

  /** Where the restore of each state store of each partition assigned here stands. */
  stateRestoreProgress(): StoreRestoreProgress[] {
    return [...this.workers.values()].flatMap((w) => w.state?.stores.restoreProgress() ?? []);
  }

  /** The partitions assigned to this member in the current generation (for status endpoints). */
  assignedPartitions(): TopicPartition[] {
    return [...this.assignment].map((key) => {
      const at = key.lastIndexOf('\u0000');
      return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
    });
  }

  /**
   * The consumer-group membership: `member` once an assignment arrived and no rebalance is under
   * way (readiness), `rebalancing` from a rebalance's start to the next assignment.
   */
  membership(): GroupMembership {
    return this.membershipState;
  }

  /** True between `pause()` and `resume()`. */
  get paused(): boolean {
    return this.pausedState;
  }

  /**
   * Stops fetching from every assigned partition and from partitions assigned later, while the
   * member stays in its group (heartbeats go on, no rebalance). Records already fetched finish and
   * commit. Idempotent; before `start()` the runtime starts paused.
   */
  pause(): void {
    this.pausedState = true;
    this.applyPause();
  }

  /** Fetches again from where each partition stopped. */
  resume(): void {
    this.pausedState = false;
    this.applyPause();
  }

  /** Committed position, high watermark and lag of each partition being processed here. */
  partitionProgress(): PartitionProgress[] {
    return [...this.workers.values()].map((worker) => {
      const { committedOffset, highWatermark } = worker;
      // Commits move past a transactional input's trailing commit markers (PartitionWorker): a
      // caught-up partition stands at its high watermark.
      const position = committedOffset ?? worker.startedFrom;
      const lag =
        position !== undefined && highWatermark !== undefined
          ? highWatermark > position
            ? highWatermark - position
            : 0n
          : undefined;
      return {
        ...worker.tp,
        ...(committedOffset !== undefined ? { committedOffset } : {}),
        ...(highWatermark !== undefined ? { highWatermark } : {}),
        ...(lag !== undefined ? { lag } : {}),
      };
    });
  }

  /**
   * Releases a parked key of a partition assigned here — the seam for redrive (issue #9): the
   * release is written to the parked-key topic (a tombstone, so it survives restarts and moves),
   * then the key's next records are processed again. Resolves to the failed offset it was parked
   * behind (empty when the key was not parked here). Waits for the partition's running batch.
   */
  unpark(tp: TopicPartition, key: Buffer | string): Promise<bigint[]> {
    return this.workers.get(tpKey(tp))?.unpark(key) ?? Promise.resolve([]);
  }

  /**
   * Connects, provisions the dead-letter topic, joins the group and starts consuming. A `stop()`
   * while it runs makes it reject with RuntimeStoppedError at its next step; the stop waits for
   * that and then releases what the start had opened (else a consumer joined after the stop would
   * stay in the group, fetching, with nobody to stop it).
   */
  start(): Promise<void> {
    this.starting ??= this.startUp();
    return this.starting;
  }

  private async startUp(): Promise<void> {
    const { config } = this.options;
    this.throwIfStopping();
    const kafka = createKafkaClient(this.options.kafka, this.options.kafkaClient);
    this.kafka = kafka;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.throwIfStopping();
    await this.provisionDeadLetterTopic(this.admin);
    this.throwIfStopping();
    if (this.changelogTopics.length > 0) this.changelogReader = new ChangelogReader(kafka, this.admin);
    if ((this.options.processor.stateStores ?? []).some((s) => storeSpec(s).storage === 'disk'))
      this.stateDirectory = StateDirectory.open(config.stateDir, config.group);
    if (this.changelogReader && config.standbyReplicas) {
      this.standby = new StandbyStates(
        kafka,
        config.group,
        config.topics[0]!,
        this.options.processor.stateStores ?? [],
        this.stateDirectory,
      );
      await this.standby.start();
      this.throwIfStopping();
    }
    if (config.failure.onKeyFailure === 'park') {
      this.parkedLog = new ParkedKeyLog(kafka, this.admin, config.group);
      await this.parkedLog.start();
      this.throwIfStopping();
    }

    const context: DeliveryContext = {
      kafka,
      config,
      commitGroupOffset: (tp, next) => this.commitGroupOffset(tp, next),
      deadLetters: { topic: this.deadLetterTopic, maxBytes: this.deadLetterMaxBytes },
    };
    this.strategy = this.options.delivery?.(context) ?? (this.kafkaDelivery(context) as DeliveryStrategy<O>);
    await this.strategy.start();
    this.throwIfStopping();

    const consumer = createConsumer(kafka, {
      groupId: config.group,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      fetchMaxWaitMs: config.fetchMaxWaitMs,
      // A crash after the stop began is not restarted: kafkajs would rejoin the group behind the
      // stop, and that member would hold its partitions with nobody processing or stopping them.
      restartOnFailure: async () => !this.stopping,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.REBALANCING, () => {
      if (this.membershipState !== 'stopped') this.membershipState = 'rebalancing';
      this.generation.abort();
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (this.membershipState !== 'stopped') this.membershipState = 'member';
      this.onAssignment(event.payload.memberAssignment, event.payload.memberId);
      // kafkajs rebuilds its group state after a crash-restart: a pause, or a stop's, must outlive it.
      if (this.pausedState || this.stopping) this.applyPause();
    });
    this.unwatchMetrics = this.metrics?.watch({
      partitionProgress: () => this.partitionProgress(),
      stateRestoreProgress: () => this.stateRestoreProgress(),
      assignedPartitions: () => this.assignedPartitions(),
      isSettledMember: () => this.membershipState === 'member',
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      // kafkajs hands eachBatch no batch whose records were all control records (or aborted): it
      // moves its own fetch position past them, and the runtime saves that position here.
      const { topic, partition, batchSize, firstOffset, lastOffset, highWatermark } = event.payload;
      if (batchSize === 0 && firstOffset !== null && firstOffset !== undefined)
        this.skipControlRecords(
          { topic, partition },
          BigInt(firstOffset),
          BigInt(lastOffset) + 1n,
          BigInt(highWatermark),
        );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      // While stopping, a crash is not restarted (above) and is no failure of the runtime.
      if (!event.payload.restart && !this.stopping) void this.fail(event.payload.error);
    });
    await consumer.connect();
    this.throwIfStopping();
    for (const topic of config.topics) {
      await consumer.subscribe({ topic, fromBeginning: config.fromBeginning });
      this.throwIfStopping();
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: config.concurrency.partitions,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.throwIfStopping();
    this.applyPause();
  }

  private throwIfStopping(): void {
    // A failure that stopped it is the reason, not the stop.
    if (this.stopping) throw this.failure ?? new RuntimeStoppedError(this.options.config.group);
  }

  /**
   * Pauses whole topics while the runtime is paused or stopping, resumes them otherwise (kafkajs
   * then also pauses partitions assigned later). A stopping runtime takes no new batch
   * (`handleBatch` leaves it unresolved), and kafkajs would fetch the same records again at once,
   * over and over until the drain ends. A consumer with no group (not joined yet, or between a
   * kafkajs crash and its restart, whose new group state forgets every pause) refuses both
   * ("Consumer group was not initialized") and fetches nothing then: the next GROUP_JOIN applies the
   * pause again. Resuming a consumer that was never paused is not needed at all.
   */
  private applyPause(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const topics = this.options.config.topics.map((topic) => ({ topic }));
    try {
      if (this.pausedState || this.stopping) {
        consumer.pause(topics);
        this.pauseApplied = true;
        if (!this.stopping) this.watchEndOffsetsWhilePaused();
      } else if (this.pauseApplied) {
        consumer.resume(topics);
        this.pauseApplied = false;
        clearInterval(this.pausedEndOffsets);
        this.pausedEndOffsets = undefined;
      }
    } catch (error) {
      // A stop goes on whatever the pause did: it is best effort there.
      if (!this.stopping && !(error instanceof KafkaJSNonRetriableError)) throw error;
    }
  }

  /**
   * A paused consumer fetches nothing, so the high watermarks from its last batches would freeze
   * and the lag an operator watches (offsets API, metrics) would stop growing while producers
   * write. While paused they are read from the brokers instead.
   */
  private watchEndOffsetsWhilePaused(): void {
    if (this.pausedEndOffsets !== undefined) return;
    const read = async () => {
      for (const topic of this.options.config.topics) {
        for (const { partition, high } of (await this.admin?.fetchTopicOffsets(topic)) ?? []) {
          const worker = this.workers.get(tpKey({ topic, partition }));
          const end = BigInt(high);
          if (worker && (worker.highWatermark === undefined || end > worker.highWatermark))
            worker.highWatermark = end;
        }
      }
    };
    // A failed read leaves the last figures; the next tick tries again.
    const tick = () => void read().catch(() => undefined);
    tick();
    this.pausedEndOffsets = setInterval(tick, PAUSED_END_OFFSETS_EVERY_MS).unref();
  }

  /**
   * Graceful shutdown (SIGTERM): takes no new records, lets accepted ones finish and commit, leaves
   * the group. Running records still busy `shutdownTimeoutMs - revokeTimeoutMs` after the call are
   * abandoned (their partition's next owner redoes them); the whole stop stays within about
   * `shutdownTimeoutMs` when the work honours that abort. A delivery call that never settles (a
   * checkpoint whose database does not answer) holds the stop: its worker cannot be closed, nor its
   * state directory released, while it may still write. The apps' exit deadline bounds the process.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown(this.options.config.shutdownTimeoutMs);
    return this.stopped;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.stateDirectory) this.stateDirectory.stopping = true;
    clearInterval(this.pausedEndOffsets);
    this.membershipState = 'stopped';
    const { revokeTimeoutMs } = this.options.config;
    const abandonAt = setTimeout(() => this.generation.abort(), Math.max(0, timeoutMs - revokeTimeoutMs));
    try {
      this.applyPause(); // no new batch

      // A start under way stops at its next step; what it opened until then is released below.
      await this.starting?.catch(() => undefined);
      // Batches finish (and commit) before the consumer stops: kafkajs silently drops commits of a
      // stopped consumer.
      while (this.active.size > 0) await Promise.all(this.active);
      // Each step runs even when one before it threw: a consumer whose stop failed still closes
      // its workers (open transactions aborted), and every client still disconnects.
      await releaseInTurn([
        () => this.consumer?.stop(),
        () => Promise.all([...this.workers.values()].map((w) => w.close().catch(() => undefined))),
        () => Promise.all(this.closing.values()),
        () => this.workers.clear(),
        () => this.standby?.stop(),
        () => this.strategy?.stop().catch(() => undefined),
        () => this.parkedLog?.stop(),
        () => this.consumer?.disconnect(),
        () => this.admin?.disconnect(),
      ]);
    } finally {
      clearTimeout(abandonAt);
      // Before `done` settles: a supervisor's next runtime in this process takes the directory again.
      this.stateDirectory?.release();
      this.unwatchMetrics?.();
      if (this.failure !== undefined) this.rejectDone(this.failure);
      else this.resolveDone();
    }
  }

  private fail(error: unknown): Promise<void> {
    if (this.failure === undefined) {
      try {
        this.options.onFailing?.(error);
      } catch {
        // A reporter's failure must not keep the runtime from stopping.
      }
    }
    this.failure ??= error;
    this.generation.abort();
    return this.stop().catch(() => undefined);
  }

  /** The Kafka strategy `config.delivery` names; only reached when `O` is `OutputRecord` (see the options' type). */
  private kafkaDelivery(context: DeliveryContext): DeliveryStrategy {
    const { config } = this.options;
    return config.delivery === 'exactly-once'
      ? new ExactlyOnceDelivery(
          context.kafka,
          config.group,
          config.output.maxBatchRecords,
          config.transactionTimeoutMs,
          { deadLetters: context.deadLetters },
        )
      : new AtLeastOnceDelivery(context.kafka, context.commitGroupOffset, config.output.maxBatchRecords, {
          deadLetters: context.deadLetters,
        });
  }

  private async provisionDeadLetterTopic(admin: Admin): Promise<void> {
    const { topics } = await admin.fetchTopicMetadata({ topics: [...this.options.config.topics] });
    const partitions = Math.max(...topics.map((t) => t.partitions.length));
    this.inputPartitions = partitions;
    const replicationFactor = Math.max(
      1,
      ...topics.flatMap((t) => t.partitions.map((p) => p.replicas.length)),
    );
    const parkedKeys =
      this.options.config.failure.onKeyFailure === 'park'
        ? [
            {
              name: this.parkedKeyTopic,
              partitions,
              replicationFactor,
              configs: { 'cleanup.policy': 'compact' },
            },
          ]
        : [];
    // A state store's changelog: compacted, one partition per input partition.
    const changelogs = this.changelogTopics.map((name) => ({
      name,
      partitions,
      replicationFactor,
      configs: { 'cleanup.policy': 'compact' },
    }));
    const inputLimits = await readMaxMessageBytes(admin, this.options.config.topics);
    const largestInput = Math.max(KAFKA_DEFAULT_MAX_MESSAGE_BYTES, ...inputLimits.values());
    const dlqConfigs = deadLetterTopicConfigs(largestInput);
    const report = await new TopicProvisioner(admin).provision([
      { name: this.deadLetterTopic, partitions, replicationFactor, configs: dlqConfigs },
      ...parkedKeys,
      ...changelogs,
    ]);
    // An existing DLQ keeps its own limit (the provisioner never rewrites configs): dead letters are
    // cut to it. One it could not describe (no DescribeConfigs right) is taken at Kafka's default.
    this.deadLetterMaxBytes = report.created.includes(this.deadLetterTopic)
      ? Number(dlqConfigs['max.message.bytes'])
      : ((await readMaxMessageBytes(admin, [this.deadLetterTopic])).get(this.deadLetterTopic) ??
        KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
  }

  private onAssignment(memberAssignment: Record<string, number[]>, memberId: string): void {
    this.generation.abort();
    this.generation = new AbortController();
    const next = new Set<string>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) next.add(tpKey({ topic, partition }));
    }
    this.assignment = next;
    // A new member id: kafkajs restarted its consumer (a crash it retries), which joined as a new
    // member. A partition assigned to it again may have had another owner meanwhile, whose
    // producer fenced this worker's and whose commits its state stores missed: no worker is kept,
    // each partition starts again as on a first assignment (fenced, positioned, restored).
    const rejoined = this.memberId !== undefined && memberId !== this.memberId;
    this.memberId = memberId;
    for (const key of this.committedBeforeRejoin.keys())
      if (!next.has(key)) this.committedBeforeRejoin.delete(key);
    for (const [key, worker] of this.workers) {
      if (next.has(key) && !rejoined) continue;
      this.workers.delete(key);
      this.claims.delete(key);
      const closed = worker.close().catch(() => undefined);
      this.closing.set(key, closed);
      void closed.then(() => {
        if (this.closing.get(key) === closed) this.closing.delete(key);
        // Read once closed: the old generation's last batch may still commit while it closes.
        const committed = worker.committedOffset;
        if (committed !== undefined && this.assignment.has(key))
          this.committedBeforeRejoin.set(key, { offset: committed, at: Date.now() });
      });
    }
    // Every generation starts at the group's Kafka offsets: a strategy's own position is sought again.
    this.positioned.clear();
    const signal = this.generation.signal;
    // A join that lands after the stop keeps no standby (their stores and directory are closed).
    if (this.standby && !this.stopping) {
      const topic = this.options.config.topics[0]!;
      this.standby.keep(this.inputPartitions, new Set(memberAssignment[topic] ?? []));
    }
    if (this.changelogReader) {
      for (const [topic, partitions] of Object.entries(memberAssignment)) {
        for (const partition of partitions) void this.restoreOnAssignment({ topic, partition }, signal);
      }
    }
    if (this.options.delivery === undefined) return;
    for (const [topic, partitions] of Object.entries(memberAssignment)) {
      for (const partition of partitions) void this.positionOnAssignment({ topic, partition }, signal);
    }
  }

  /**
   * A partition assigned (or kept across a rebalance) to a stateful processor: its state stores are
   * restored from their changelogs right away, not when a first batch comes (which for an idle
   * partition could be never). A restore given up by a rebalance starts again on the next
   * assignment; one that fails stops the runtime, as a failed restore at a batch's start does.
   */
  private async restoreOnAssignment(tp: TopicPartition, signal: AbortSignal): Promise<void> {
    try {
      if (signal.aborted || this.stopping) return;
      const worker = await this.workerFor(tp);
      if (signal.aborted || this.stopping) return;
      await worker.restoreState(signal);
    } catch (error) {
      if (!signal.aborted && !this.stopping) void this.fail(error);
    }
  }

  /**
   * A partition assigned (or kept across a rebalance) whose strategy keeps its own position: kafkajs
   * begins each generation at the group's committed offset in Kafka, which for such a strategy is
   * informational (mirrored after its commits, so possibly behind or ahead of it), so the runtime
   * seeks to the strategy's position right away — not only when a first batch arrives, which from a
   * Kafka offset at the end of the partition would never come. The partition's end offset is read
   * too, so its lag is known before a first batch. A claim that fails stops the runtime, as a
   * failed checkpoint does (the supervisor starts another).
   */
  private async positionOnAssignment(tp: TopicPartition, signal: AbortSignal): Promise<void> {
    try {
      const worker = await this.workerFor(tp);
      // A claim made after the runtime began to stop would outlive it and fence its successor's.
      if (signal.aborted || this.stopping) return;
      const start = await this.startOf(tp, worker);
      if (start === undefined || signal.aborted || this.stopping) return;
      this.consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: String(start) });
      // Its lag counts from here, also while no batch comes.
      worker.startedFrom ??= start;
      // Only for the lag: a failed read leaves it to the first batch.
      const ends = await this.admin!.fetchTopicOffsets(tp.topic).catch(() => []);
      const end = ends.find((o) => o.partition === tp.partition);
      if (
        end !== undefined &&
        (worker.highWatermark === undefined || BigInt(end.high) > worker.highWatermark)
      )
        worker.highWatermark = BigInt(end.high);
    } catch (error) {
      if (!signal.aborted && !this.stopping) void this.fail(error);
    }
  }

  /**
   * Where `tp` starts in this generation.
   * - A strategy that keeps the position itself: where its worker last committed; else the
   *   strategy's claim (`startingOffset`, made once while the partition stays here); else, nothing
   *   stored yet, the partition's earliest offset (`fromBeginning`) or its end — never the group's
   *   Kafka offset.
   * - A strategy that fences (exactly-once): `fencedStart`.
   * - Otherwise (at-least-once) undefined: kafkajs's position stands.
   */
  private async startOf(tp: TopicPartition, worker: PartitionWorker<O>): Promise<bigint | undefined> {
    const { delivery } = worker;
    if (delivery.startingOffset === undefined)
      return delivery.fence === undefined ? undefined : this.fencedStart(tp, worker);
    const key = tpKey(tp);
    let claim = this.claims.get(key);
    if (claim === undefined) {
      const made = delivery.startingOffset();
      claim = made;
      this.claims.set(key, made);
      // A claim that failed is made again by the next attempt.
      made.catch(() => {
        if (this.claims.get(key) === made) this.claims.delete(key);
      });
    }
    const claimed = await claim;
    const start = worker.committedOffset ?? claimed;
    if (start !== undefined) return start;
    const offsets = await this.admin!.fetchTopicOffsets(tp.topic);
    const edge = offsets.find((o) => o.partition === tp.partition);
    return edge === undefined ? undefined : BigInt(this.options.config.fromBeginning ? edge.low : edge.high);
  }

  /**
   * Where `tp` starts when its strategy fences (exactly-once), read in each generation: the
   * group's offset read once the fence is up, or where this worker last committed if that is
   * further (kafkajs's OffsetFetch cannot ask for stable offsets, so the read can trail a commit
   * just made; a worker closed by a rejoin counts as this one). Undefined when neither exists:
   * kafkajs's own start stands (no one can commit an offset any more). The group's offset, not the
   * worker's, wins when it is further: this member may have missed a generation in which another
   * owned the partition.
   */
  private async fencedStart(tp: TopicPartition, worker: PartitionWorker<O>): Promise<bigint | undefined> {
    await worker.delivery.fence!();
    const group = await this.groupOffset(tp);
    const own = worker.committedOffset ?? this.committedBefore(tp);
    return group === undefined || (own !== undefined && own > group) ? own : group;
  }

  /** `committedBeforeRejoin`'s entry of `tp`, taken (once), if recent. */
  private committedBefore(tp: TopicPartition): bigint | undefined {
    const key = tpKey(tp);
    const before = this.committedBeforeRejoin.get(key);
    this.committedBeforeRejoin.delete(key);
    return before && Date.now() - before.at < this.options.config.sessionTimeoutMs
      ? before.offset
      : undefined;
  }

  /** The group's committed offset of `tp` in Kafka; undefined when it has none. */
  private async groupOffset(tp: TopicPartition): Promise<bigint | undefined> {
    const topics = await this.admin!.fetchOffsets({ groupId: this.options.config.group, topics: [tp.topic] });
    const offset = topics
      .find((t) => t.topic === tp.topic)
      ?.partitions.find((p) => p.partition === tp.partition)?.offset;
    return offset === undefined || offset === '-1' ? undefined : BigInt(offset);
  }

  private async commitGroupOffset(tp: TopicPartition, nextOffset: bigint): Promise<void> {
    if (!this.assignment.has(tpKey(tp))) throw new PartitionLostError(tp);
    await this.consumer!.commitOffsets([
      { topic: tp.topic, partition: tp.partition, offset: String(nextOffset) },
    ]);
  }

  /**
   * The worker of `tp`, made once the partition's previous worker finished closing (a partition
   * never has two), heartbeating meanwhile when a batch waits (`heartbeat`): a close waits out the
   * old generation's batch. None is made for a runtime that is stopping or a partition no longer
   * assigned: its close would be nobody's, its producer would fence the successor's.
   */
  private async workerFor(tp: TopicPartition, heartbeat?: () => Promise<void>): Promise<PartitionWorker<O>> {
    const key = tpKey(tp);
    await this.closed(key, heartbeat);
    this.throwIfStopping();
    if (!this.assignment.has(key)) throw new PartitionLostError(tp);
    let worker = this.workers.get(key);
    if (!worker) {
      const { config, processor } = this.options;
      const stores = processor.stateStores ?? [];
      worker = new PartitionWorker(
        tp,
        this.strategy!.forPartition(tp),
        this.runner,
        {
          // A stateful processor runs one record at a time per partition, in offset order.
          keysPerPartition: stores.length > 0 ? 1 : config.concurrency.keysPerPartition,
          maxBuffered: config.concurrency.maxBufferedPerPartition,
          revokeTimeoutMs: config.revokeTimeoutMs,
          heartbeatIntervalMs: config.heartbeatIntervalMs,
          partialCheckpoint: config.delivery === 'at-least-once' && this.options.delivery === undefined,
          ...(this.metrics ? { onCommitted: this.metrics.committed } : {}),
        },
        this.parkedLog,
        this.changelogReader
          ? {
              // A warm copy (standby) if this member kept one: its restore is a catch-up.
              stores:
                this.standby?.take(tp.partition) ??
                new PartitionState(tp, config.group, stores, this.stateDirectory),
              reader: this.changelogReader,
            }
          : undefined,
      );
      this.workers.set(key, worker);
    }
    return worker;
  }

  /**
   * Resolves once no close of `key`'s worker is pending (a rejoin can close the worker again while
   * one is awaited), heartbeating meanwhile if given: for a session's length at most, so a close
   * that never settles does not hold the partition here for ever (the group moves it once the
   * heartbeats stop).
   */
  private async closed(key: string, heartbeat?: () => Promise<void>): Promise<void> {
    if (!this.closing.has(key)) return;
    const { heartbeatIntervalMs, sessionTimeoutMs } = this.options.config;
    const heartbeatUntil = Date.now() + sessionTimeoutMs;
    const heartbeats = heartbeat
      ? setInterval(() => {
          if (Date.now() < heartbeatUntil) void heartbeat().catch(() => undefined);
        }, heartbeatIntervalMs).unref()
      : undefined;
    try {
      for (let closing = this.closing.get(key); closing; closing = this.closing.get(key)) await closing;
    } finally {
      clearInterval(heartbeats);
    }
  }

  /**
   * A fetch of `tp` that held control records only, from `first` up to `next` (exclusive), the
   * partition's high watermark then `highWatermark` (kept for its lag): the
   * partition's worker checkpoints `next` if the partition stands at `first`. Where it stands
   * before the worker's first commit: for a strategy keeping its own position, that position; for
   * exactly-once, the group's offset read after the fence if there is one; else the consumer's
   * (kafkajs fetched from the group's offset, and found no record between it and `first`).
   */
  private skipControlRecords(tp: TopicPartition, first: bigint, next: bigint, highWatermark: bigint): void {
    const key = tpKey(tp);
    if (this.stopping || !this.assignment.has(key)) return;
    const signal = this.generation.signal;
    const work = (async () => {
      const worker = await this.workerFor(tp);
      if (worker.highWatermark === undefined || highWatermark > worker.highWatermark)
        worker.highWatermark = highWatermark;
      // Before the worker's first commit: where a strategy that keeps its own position stands;
      // otherwise kafkajs's position, or the fenced start when further (a previous owner's late
      // commit moved the group's offset past it).
      const standsAt = async () => {
        const start = await this.startOf(tp, worker);
        if (worker.delivery.startingOffset !== undefined) return start;
        return start !== undefined && start > first ? start : first;
      };
      await worker.skipControlRecords(first, next, standsAt, signal);
    })().catch((error: unknown) => {
      if (!signal.aborted && !this.stopping) void this.fail(error);
    });
    this.active.add(work);
    void work.then(() => this.active.delete(work));
  }

  private eachBatch(payload: EachBatchPayload): Promise<void> {
    const work = this.handleBatch(payload);
    const tracked = work.catch(() => undefined);
    this.active.add(tracked);
    void tracked.then(() => this.active.delete(tracked));
    return work;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    // A batch fetched before a pause is left unresolved: kafkajs fetches it again after resume.
    if (this.stopping || this.pausedState || batch.messages.length === 0) return;
    const tp = { topic: batch.topic, partition: batch.partition };
    const generation = this.generation;
    let worker: PartitionWorker<O>;
    try {
      worker = await this.workerFor(tp, () => payload.heartbeat());
    } catch (error) {
      // Stopping, or the partition lost meanwhile: nothing to do. Else not into kafkajs (below).
      if (!generation.signal.aborted && !this.stopping) void this.fail(error);
      return;
    }
    worker.highWatermark = BigInt(batch.highWatermark);
    const key = tpKey(tp);
    if (!this.positioned.has(key)) {
      // A strategy that keeps its own position (a sink's offsets table) decides where to start; one
      // that fences moves past what a previous owner committed after kafkajs read the offset.
      let start: bigint | undefined;
      try {
        start = await this.startOf(tp, worker);
      } catch (error) {
        // Not into kafkajs (it would retry the batch, then restart the consumer: a rebalance of the
        // whole group each time). The runtime stops, as when a batch cannot begin.
        if (!generation.signal.aborted && !this.stopping) void this.fail(error);
        return;
      }
      // A rebalance meanwhile: the next generation checks again.
      if (generation !== this.generation || generation.signal.aborted) return;
      this.positioned.add(key);
      const first = BigInt(batch.messages[0].offset);
      // A fenced start below the first record only means kafkajs skipped control records there.
      const ownPosition = worker.delivery.startingOffset !== undefined;
      if (start !== undefined && (ownPosition ? start !== first : start > first)) {
        this.consumer!.seek({ topic: tp.topic, partition: tp.partition, offset: String(start) });
        worker.startedFrom ??= start;
        return;
      }
    }
    worker.startedFrom ??= BigInt(batch.messages[0].offset);
    const fetchedAt = performance.now();
    const records = batch.messages.map((m) => toStreamRecord(tp, m, fetchedAt));
    let outcome: BatchOutcome;
    try {
      outcome = await worker.processBatch(records, {
        signal: generation.signal,
        intakeClosed: () => this.stopping,
        heartbeat: () => payload.heartbeat(),
        resolveOffset: (offset) => payload.resolveOffset(String(offset)),
        // The batch's last offset, its trailing control records included (commit markers).
        fetchedThrough: BigInt(batch.lastOffset()) + 1n,
      });
    } catch (error) {
      // Not rethrown: kafkajs would refetch and retry the batch forever. The runtime stops instead.
      void this.fail(error);
      return;
    }
    // kafkajs learns of the rebalance from its own error and rejoins the group.
    if (outcome.kind === 'rejoin') throw outcome.error;
    if (outcome.kind === 'committed') await this.paceFetches(fetchedAt, generation.signal);
  }

  /**
   * Holds the next fetch until `commitIntervalMs` after this batch was fetched: kafkajs fetches
   * again once every batch handed out returned, so the records arriving meanwhile come as one batch.
   */
  private async paceFetches(fetchedAt: number, signal: AbortSignal): Promise<void> {
    const wait = this.options.config.commitIntervalMs - (performance.now() - fetchedAt);
    if (wait <= 0 || this.stopping) return;
    await systemClock.sleep(wait, signal).catch(() => undefined);
  }
}

function toStreamRecord(tp: TopicPartition, message: KafkaMessage, fetchedAt: number): StreamRecord {
  return {
    topic: tp.topic,
    partition: tp.partition,
    offset: BigInt(message.offset),
    key: message.key,
    value: message.value,
    headers: headersFromMap(message.headers as HeaderMap | undefined),
    timestamp: message.timestamp,
    fetchedAt,
  };
}
