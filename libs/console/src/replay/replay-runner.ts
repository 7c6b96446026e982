import { randomBytes } from 'node:crypto';
import { type Admin, type Kafka } from 'kafkajs';
import { SluiceError } from '@sluice/errors';
import { checkRangeSpec, type RangeSpec } from '@sluice/kafka';
import { type Logger } from '@sluice/observability';
import {
  describeReplayRange,
  MissingTopicError,
  RecordReencoder,
  type ReplayCheckpoint,
  ReplayCheckpointStore,
  type ReplayProgress,
  ReplayRepublisher,
  type RepublishResult,
  UnknownReplayError,
} from '@sluice/replay';
import {
  ConfluentSchemaRegistryClient,
  RecordDecoder,
  RecordEncoder,
  type SchemaRegistryConfig,
} from '@sluice/schema';

/** A re-publish as the console's form asks for it (`sluice replay --to-topic`'s flags). */
export interface RepublishAsk {
  readonly topic: string;
  readonly range: RangeSpec;
  readonly toTopic: string;
  readonly reencodeLatest?: boolean;
  readonly ratePerSecond?: number;
  /** Who asked (logged with the replay; the replay's checkpoint is its durable record). */
  readonly actor: string;
}

/** A replay as the console shows it: its definition, where it stands, how it ended. */
export interface ReplayRunView {
  readonly replayId: string;
  readonly source: string;
  readonly target: string;
  readonly range: string;
  /** `stopping`: asked to stop, committing its open chunk. `failed`: see `error`. */
  readonly status: 'running' | 'stopping' | 'done' | 'interrupted' | 'already-done' | 'failed';
  /** Started from this console (false: read from the checkpoint topic, e.g. a `sluice replay`). */
  readonly ownRun: boolean;
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Offsets of the range covered (committed chunks) of `total`; records published in this run. */
  readonly progress: {
    readonly total: string;
    readonly done: string;
    readonly published: number;
    readonly skipped: number;
    readonly offsetsPerSecond: number;
    readonly etaSeconds?: number;
  };
  readonly partitions: ReadonlyArray<{
    readonly partition: number;
    readonly from: string;
    readonly to: string;
    readonly next: string;
    readonly published: number;
  }>;
  readonly error?: string;
}

interface OwnRun {
  view: ReplayRunView;
  readonly controller: AbortController;
  /** Settles when the run has ended (its result or failure recorded in `view`). */
  finished: Promise<void>;
}

/** Replays started from this console are kept (for their progress view) up to this many. */
const KEPT_RUNS = 50;

/**
 * Runs `sluice replay --to-topic` from the console: @sluice/replay's republisher (exactly once,
 * resumable, its checkpoint in the replay checkpoint topic) in the background, its progress after
 * every committed chunk for the console's progress view, stoppable (the open chunk is committed
 * with its checkpoint; `sluice replay --resume <id>` continues it). A replay this console did not
 * start is shown from its checkpoint.
 */
export class ReplayRunner {
  private readonly runs = new Map<string, OwnRun>();
  private readonly republisher: ReplayRepublisher;
  private readonly checkpoints: ReplayCheckpointStore;

  constructor(
    kafka: Kafka,
    private readonly admin: Admin,
    private readonly registry: SchemaRegistryConfig,
    private readonly logger: Pick<Logger, 'info' | 'warn'>,
  ) {
    this.checkpoints = new ReplayCheckpointStore(kafka, admin);
    this.republisher = new ReplayRepublisher(kafka, admin, this.checkpoints);
  }

  /**
   * Starts a re-publish; resolves once it has fenced earlier runs of its id and resolved its range
   * (so the answer shows the range), or rejects when it cannot start (a missing topic, a bad range).
   */
  async start(ask: RepublishAsk): Promise<ReplayRunView> {
    checkRangeSpec(ask.range);
    const topics = new Set(await this.admin.listTopics());
    for (const topic of [ask.topic, ask.toTopic]) if (!topics.has(topic)) throw new MissingTopicError(topic);
    const replayId = `console-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
    const range = describeReplayRange(ask.range);
    const now = new Date().toISOString();
    const controller = new AbortController();
    let started!: () => void;
    let failure: unknown;
    const startedOrFailed = new Promise<void>((resolve) => (started = resolve));
    const run: OwnRun = {
      controller,
      view: {
        replayId,
        source: ask.topic,
        target: ask.toTopic,
        range,
        status: 'running',
        ownRun: true,
        startedAt: now,
        updatedAt: now,
        progress: { total: '0', done: '0', published: 0, skipped: 0, offsetsPerSecond: 0 },
        partitions: [],
      },
      finished: Promise.resolve(),
    };
    const update = (changes: Partial<ReplayRunView>) => {
      run.view = { ...run.view, ...changes, updatedAt: new Date().toISOString() };
    };
    this.logger.info(
      { replayId, actor: ask.actor, source: ask.topic, target: ask.toTopic, range },
      'replay started from the console',
    );
    const registry = new ConfluentSchemaRegistryClient(this.registry);
    run.finished = this.republisher
      .run({
        replayId,
        definition: {
          source: ask.topic,
          target: ask.toTopic,
          reencodeLatest: Boolean(ask.reencodeLatest),
          range,
        },
        range: ask.range,
        reencoder: (d) =>
          RecordReencoder.forTarget(
            registry,
            new RecordDecoder(registry),
            new RecordEncoder(registry, { autoRegister: false }),
            d.target,
          ),
        ...(ask.ratePerSecond !== undefined ? { ratePerSecond: ask.ratePerSecond } : {}),
        signal: controller.signal,
        onStart: (s) => {
          const total = s.ranges.reduce((n, r) => n + (r.to - r.from), 0n);
          update({
            progress: { ...run.view.progress, total: String(total) },
            partitions: s.ranges.map((r) => ({
              partition: r.partition,
              from: String(r.from),
              to: String(r.to),
              next: String(r.from),
              published: 0,
            })),
          });
          started();
        },
        onProgress: (p) => update({ progress: progressOf(p) }),
      })
      .then(
        (result) => {
          update({
            status: result.status,
            partitions: partitionsOf(result),
            ...finalProgress(run.view, result),
          });
          this.logger.info(
            { replayId, actor: ask.actor, status: result.status, published: result.published },
            'replay from the console ended',
          );
        },
        (error: unknown) => {
          failure = error;
          update({ status: 'failed', error: (error as Error).message });
          this.logger.warn({ replayId, actor: ask.actor, err: error }, 'replay from the console failed');
        },
      )
      .finally(started);
    this.keep(replayId, run);
    await startedOrFailed;
    if (run.view.status === 'failed') {
      this.runs.delete(replayId);
      throw new ReplayStartError(replayId, run.view.error ?? 'unknown error', failure);
    }
    return run.view;
  }

  /** Where a replay stands: one this console runs, else its checkpoint (a `sluice replay`). */
  async view(replayId: string): Promise<ReplayRunView> {
    const own = this.runs.get(replayId);
    if (own) return own.view;
    const stored = await this.checkpoints.load(replayId);
    if (stored === undefined) throw new UnknownReplayError(replayId);
    return viewOfCheckpoint(stored);
  }

  /** Replays started from this console, newest first. */
  list(): ReplayRunView[] {
    return [...this.runs.values()].map((r) => r.view).reverse();
  }

  /** Stops a replay this console runs: its open chunk is committed with its checkpoint. */
  stop(replayId: string): ReplayRunView {
    const own = this.runs.get(replayId);
    if (!own) throw new UnknownReplayError(replayId);
    if (own.view.status === 'running') {
      own.view = { ...own.view, status: 'stopping' };
      this.logger.info({ replayId }, 'replay from the console asked to stop');
      own.controller.abort();
    }
    return own.view;
  }

  /** On shutdown: every running replay stops at a chunk boundary (resumable from the CLI). */
  async close(): Promise<void> {
    for (const run of this.runs.values()) run.controller.abort();
    await Promise.all([...this.runs.values()].map((r) => r.finished));
  }

  private keep(replayId: string, run: OwnRun): void {
    this.runs.set(replayId, run);
    for (const [id, r] of this.runs) {
      if (this.runs.size <= KEPT_RUNS) break;
      if (r.view.status !== 'running' && r.view.status !== 'stopping') this.runs.delete(id);
    }
  }
}

/** A replay that failed before its first chunk (the answer to the request that started it). */
export class ReplayStartError extends SluiceError {
  readonly code = 'REPLAY_START_FAILED';
  readonly retriable = false;
  constructor(
    readonly replayId: string,
    reason: string,
    /** What stopped it (an invalid range, a missing topic...): the HTTP answer follows it. */
    cause?: unknown,
  ) {
    super(`replay ${replayId} could not start: ${reason}`, { cause });
  }
}

function progressOf(p: ReplayProgress): ReplayRunView['progress'] {
  return {
    total: String(p.total),
    done: String(p.done),
    published: p.published,
    skipped: p.skipped,
    offsetsPerSecond: Math.round(p.offsetsPerSecond),
    ...(p.etaSeconds !== undefined ? { etaSeconds: Math.ceil(p.etaSeconds) } : {}),
  };
}

function partitionsOf(result: RepublishResult): ReplayRunView['partitions'] {
  return result.partitions.map((p) => ({
    partition: p.partition,
    from: String(p.from),
    to: String(p.to),
    next: String(p.next),
    published: p.published,
  }));
}

/** A finished run's figures from its result (the last progress may precede the final commit). */
function finalProgress(view: ReplayRunView, result: RepublishResult): Partial<ReplayRunView> {
  const done = result.partitions.reduce((n, p) => n + (p.next - p.from), 0n);
  return {
    progress: {
      ...view.progress,
      done: String(done),
      published: result.published,
      skipped: result.skipped,
      ...(result.status === 'done' ? { etaSeconds: 0 } : {}),
    },
  };
}

function viewOfCheckpoint(c: ReplayCheckpoint): ReplayRunView {
  const partitions = c.ranges.map((r) => ({
    partition: r.partition,
    from: String(r.from),
    to: String(r.to),
    next: String(c.next.get(r.partition) ?? r.from),
    published: c.published.get(r.partition) ?? 0,
  }));
  const total = c.ranges.reduce((n, r) => n + (r.to - r.from), 0n);
  const done = c.ranges.reduce((n, r) => n + ((c.next.get(r.partition) ?? r.from) - r.from), 0n);
  return {
    replayId: c.replayId,
    source: c.definition.source,
    target: c.definition.target,
    range: c.definition.range,
    // A checkpoint says running until its replay finishes, or was stopped and not yet resumed.
    status: c.status,
    ownRun: false,
    startedAt: c.startedAt,
    updatedAt: c.updatedAt,
    progress: {
      total: String(total),
      done: String(done),
      published: partitions.reduce((n, p) => n + p.published, 0),
      skipped: [...c.skipped.values()].reduce((n, s) => n + s, 0),
      offsetsPerSecond: 0,
    },
    partitions,
  };
}
