import { type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { FatalRecordError, TokenBucket } from '@sluice/errors';
import {
  connectedProducer,
  type PartitionRange,
  type RangeRecord,
  type RangeSpec,
  readTopicRange,
  resolveRange,
} from '@sluice/kafka';
import { type ReplayCheckpointStore } from '../checkpoint/replay-checkpoint-store';
import {
  definitionDifferences,
  type ReplayCheckpoint,
  type ReplayDefinition,
} from '../checkpoint/replay-checkpoint';
import { MissingTopicError, ReplayMismatchError, UnknownReplayError } from '../replay-errors';
import { ReplayChunk } from './replay-chunk';
import { ProgressMeter, type ReplayProgress } from './replay-progress';
import { ReplayRecordMapper } from './replay-record-mapper';
import { type RecordReencoder } from './record-reencoder';
import { TransactionalStreamWriter } from './transactional-stream-writer';

export interface RepublishRequest {
  readonly replayId: string;
  /** What to replay. Required unless `resume`; compared with the checkpoint when there is one. */
  readonly definition?: ReplayDefinition;
  readonly range?: RangeSpec;
  /** Continue a replay that must exist; its definition and ranges come from its checkpoint. */
  readonly resume?: boolean;
  /** Re-encoding for `definition.reencodeLatest` (built for the target by the caller). */
  readonly reencoder?: (definition: ReplayDefinition) => Promise<RecordReencoder>;
  /** Skip (and count) records that cannot be re-encoded instead of stopping. Default false. */
  readonly skipBad?: boolean;
  /** Records a second at most. Default unlimited. */
  readonly ratePerSecond?: number;
  /** A transaction commits at this many records, or `chunkMs` after its first. Defaults 20000, 1000. */
  readonly chunkRecords?: number;
  readonly chunkMs?: number;
  /** Stops the replay cleanly: the open chunk is committed with its checkpoint, then it returns. */
  readonly signal?: AbortSignal;
  readonly onStart?: (start: ReplayStart) => void;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayStart {
  readonly replayId: string;
  readonly definition: ReplayDefinition;
  readonly ranges: readonly PartitionRange[];
  readonly resumed: boolean;
}

export interface ReplayPartitionCount {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
  readonly next: bigint;
  /** Over every run of this replay. */
  readonly published: number;
  readonly skipped: number;
  readonly publishedThisRun: number;
}

export interface RepublishResult {
  readonly replayId: string;
  readonly definition: ReplayDefinition;
  /** `already-done`: a finished replay run again; nothing was published. */
  readonly status: 'done' | 'interrupted' | 'already-done';
  readonly partitions: readonly ReplayPartitionCount[];
  readonly published: number;
  readonly skipped: number;
}

/**
 * Re-publishes a range of a topic into another, exactly once and resumable. One transactional
 * producer (`sluice-replay-<id>`: a second run of the same replay fences the first) writes the
 * records of each chunk and the replay's checkpoint (per source partition, the next offset to
 * read) in one transaction, so a chunk is visible wholly with its checkpoint or not at all. A
 * run reads the checkpoint after fencing and continues after it; a finished replay publishes
 * nothing. Chunks are pipelined: the next is filled while the previous commits.
 */
export class ReplayRepublisher {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly checkpoints: ReplayCheckpointStore,
  ) {}

  async run(request: RepublishRequest): Promise<RepublishResult> {
    const producer = await connectedProducer(this.kafka, {
      transactionalId: `sluice-replay-${request.replayId}`,
    });
    try {
      await this.checkpoints.ensureTopic();
      const stored = await this.checkpoints.load(request.replayId);
      const definition = this.definitionOf(request, stored);
      if (stored?.status === 'done') return result(stored, 'already-done', new Map());
      const run = new RepublishRun(this.kafka, producer, this.checkpoints, request, definition);
      await run.prepare(this.admin, stored);
      return await run.execute();
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  private definitionOf(request: RepublishRequest, stored: ReplayCheckpoint | undefined): ReplayDefinition {
    if (stored === undefined) {
      if (request.resume || request.definition === undefined) throw new UnknownReplayError(request.replayId);
      return request.definition;
    }
    if (request.definition !== undefined) {
      const differences = definitionDifferences(stored.definition, request.definition);
      if (differences.length > 0) throw new ReplayMismatchError(request.replayId, differences);
    }
    return stored.definition;
  }
}

/** One run of a replay: its state between chunks. */
class RepublishRun {
  private ranges: readonly PartitionRange[] = [];
  private committed!: ReplayCheckpoint;
  private mapper!: ReplayRecordMapper;
  private reencoder: RecordReencoder | undefined;
  private bucket: TokenBucket | undefined;
  private meter!: ProgressMeter;
  /** The last checkpoint handed to the writer (committed ones follow it, in order). */
  private queued!: ReplayCheckpoint;
  private chunk = new ReplayChunk();
  private readonly writer: TransactionalStreamWriter;
  private truncated = false;
  private readonly thisRun = new Map<number, number>();
  private publishedThisRun = 0;
  private skippedThisRun = 0;
  private resumed = false;
  private readonly chunkRecords: number;
  private readonly chunkMs: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly checkpoints: ReplayCheckpointStore,
    private readonly request: RepublishRequest,
    private readonly definition: ReplayDefinition,
  ) {
    this.chunkRecords = request.chunkRecords ?? 20_000;
    this.chunkMs = request.chunkMs ?? 1_000;
    if (request.ratePerSecond !== undefined) this.bucket = new TokenBucket(request.ratePerSecond);
    this.writer = new TransactionalStreamWriter(producer, definition.target);
  }

  async prepare(admin: Admin, stored: ReplayCheckpoint | undefined): Promise<void> {
    const { source, target } = this.definition;
    const topics = await admin.listTopics();
    if (!topics.includes(target)) throw new MissingTopicError(target);
    if (!topics.includes(source)) throw new MissingTopicError(source);
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [source, target] });
    const count = (t: string) => meta.find((m) => m.name === t)!.partitions.length;
    this.mapper = new ReplayRecordMapper(this.request.replayId, count(source), count(target));
    if (this.definition.reencodeLatest) {
      if (!this.request.reencoder) throw new Error('re-encoding asked for without a schema registry');
      this.reencoder = await this.request.reencoder(this.definition);
    }
    this.resumed = stored !== undefined;
    this.ranges = stored?.ranges ?? (await resolveRange(admin, source, this.request.range ?? {}));
    const now = new Date().toISOString();
    this.committed = stored ?? {
      replayId: this.request.replayId,
      definition: this.definition,
      ranges: this.ranges,
      next: new Map(this.ranges.map((r) => [r.partition, r.from])),
      published: new Map(),
      skipped: new Map(),
      status: 'running',
      startedAt: now,
      updatedAt: now,
    };
    const total = this.ranges.reduce((n, r) => n + (r.to - r.from), 0n);
    this.meter = new ProgressMeter(this.request.replayId, total, this.doneOffsets());
    this.request.onStart?.({
      replayId: this.request.replayId,
      definition: this.definition,
      ranges: this.ranges,
      resumed: this.resumed,
    });
    this.queued = this.committed;
    // A new replay is recorded before its first record, so it can be resumed whenever it stops.
    if (stored === undefined) {
      await this.commit(new ReplayChunk(), 'running');
      await this.writer.drain();
    }
  }

  async execute(): Promise<RepublishResult> {
    const { signal } = this.request;
    const partitions = this.ranges
      .map((r) => ({ partition: r.partition, from: this.committed.next.get(r.partition)!, to: r.to }))
      .filter((r) => r.from < r.to);
    try {
      const read = await readTopicRange(this.kafka, {
        topic: this.definition.source,
        partitions,
        groupIdPrefix: `sluice.replay.${this.request.replayId}`,
        signal,
        onBatch: (_partition, records) => this.accept(records),
      });
      const done = read.complete && !this.truncated;
      if (done || this.chunk.records > 0) await this.commit(this.chunk, done ? 'done' : 'running');
      await this.writer.drain();
      return result(this.committed, done ? 'done' : 'interrupted', this.thisRun, this.skippedThisRun);
    } catch (error) {
      // Never leave a transaction open: read-committed readers of the target would wait on it.
      await this.writer.abort();
      throw error;
    }
  }

  private async accept(records: RangeRecord[]): Promise<void> {
    const { signal } = this.request;
    for (let i = 0; i < records.length;) {
      if (signal?.aborted) {
        this.truncated = true;
        return;
      }
      let n = Math.min(records.length - i, this.chunkRecords - this.chunk.records);
      if (this.bucket) {
        n = Math.min(n, this.bucket.burst);
        if (!(await this.bucket.take(n, signal))) {
          this.truncated = true;
          return;
        }
      }
      if (this.reencoder) for (let j = i; j < i + n; j++) await this.addReencoded(records[j]);
      else {
        for (let j = i; j < i + n; j++) {
          const wait = this.writer.write(this.mapper.toMessage(records[j], records[j].key, records[j].value));
          if (wait) await wait;
        }
        // Accounted once per slice: the records of one call are one partition's, in order.
        const last = records[i + n - 1];
        this.chunk.addPublished(last.partition, last.offset, n);
      }
      i += n;
      if (this.chunk.records >= this.chunkRecords || this.chunk.ageMs >= this.chunkMs) await this.cut();
    }
  }

  private async addReencoded(record: RangeRecord): Promise<void> {
    let message: Message | undefined;
    try {
      const key = await this.reencoder!.reencodeKey(record.key);
      const value = await this.reencoder!.reencodeValue(record.value);
      message = this.mapper.toMessage(record, key, value);
    } catch (error) {
      if (!(error instanceof FatalRecordError) || !this.request.skipBad) {
        const where = `${record.topic}[${record.partition}]@${record.offset}`;
        throw new FatalRecordError(`cannot re-encode ${where}: ${(error as Error).message}`, {
          cause: error,
          code: 'REPLAY_REENCODE',
        });
      }
    }
    this.chunk.add(record.partition, record.offset, message !== undefined);
    if (message !== undefined) await this.writer.write(message);
  }

  /** Closes the open transaction at a chunk boundary; the next records open another. */
  private async cut(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = new ReplayChunk();
    await this.commit(chunk, 'running');
  }

  /** Queues the commit of `chunk` with the checkpoint that accounts for it. */
  private async commit(chunk: ReplayChunk, status: 'running' | 'done'): Promise<void> {
    const base = this.queued;
    const sum = (a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>) =>
      new Map(this.ranges.map((r) => [r.partition, (a.get(r.partition) ?? 0) + (b.get(r.partition) ?? 0)]));
    const next = new Map(base.next);
    for (const [p, o] of chunk.next) next.set(p, o);
    // A finished range is read to its end, markers after its last record included.
    if (status === 'done') for (const r of this.ranges) next.set(r.partition, r.to);
    const checkpoint: ReplayCheckpoint = {
      ...base,
      next,
      published: sum(base.published, chunk.published),
      skipped: sum(base.skipped, chunk.skipped),
      status,
      updatedAt: new Date().toISOString(),
    };
    this.queued = checkpoint;
    await this.writer.commit(this.checkpoints.record(checkpoint), () => {
      this.committed = checkpoint;
      for (const [p, n] of chunk.published) this.thisRun.set(p, (this.thisRun.get(p) ?? 0) + n);
      for (const n of chunk.published.values()) this.publishedThisRun += n;
      for (const n of chunk.skipped.values()) this.skippedThisRun += n;
      this.request.onProgress?.(
        this.meter.measure(this.doneOffsets(), this.publishedThisRun, this.skippedThisRun),
      );
    });
  }

  private doneOffsets(): bigint {
    return this.ranges.reduce((n, r) => n + (this.committed.next.get(r.partition)! - r.from), 0n);
  }
}

function result(
  c: ReplayCheckpoint,
  status: RepublishResult['status'],
  thisRun: ReadonlyMap<number, number>,
  skippedThisRun = 0,
): RepublishResult {
  const partitions = c.ranges.map((r) => ({
    partition: r.partition,
    from: r.from,
    to: r.to,
    next: c.next.get(r.partition) ?? r.from,
    published: c.published.get(r.partition) ?? 0,
    skipped: c.skipped.get(r.partition) ?? 0,
    publishedThisRun: thisRun.get(r.partition) ?? 0,
  }));
  return {
    replayId: c.replayId,
    definition: c.definition,
    status,
    partitions,
    published: partitions.reduce((n, p) => n + p.publishedThisRun, 0),
    skipped: skippedThisRun,
  };
}
