import { offsetMirrorMetrics } from '../runtime/stream-metrics';
import { type GroupOffsetCommitter, type TopicPartition } from './partition-delivery';

export interface GroupOffsetMirrorOptions {
  /** The consumer group (the metric's label). */
  readonly group: string;
  /** Commits a group offset: the runtime's `DeliveryContext.commitGroupOffset`. */
  readonly commit: GroupOffsetCommitter;
  /**
   * A commit failed; it is not retried (the partition's next position supersedes it). `first`: the
   * partition's first failure since its last successful commit (warn once, then debug).
   */
  readonly onFailure?: (tp: TopicPartition, error: unknown, first: boolean) => void;
  /** Count commits in `sluice_stream_offset_mirror_commits_total` (docs/metrics.md). Default true. */
  readonly metrics?: boolean;
  /**
   * Least time between the starts of two commits of one partition; positions published meanwhile
   * coalesce into the latest. Default 0 (the next commit starts as the one in flight ends).
   */
  readonly minIntervalMs?: number;
}

interface PartitionMirror {
  /** The latest position published while a commit was in flight or not yet due: committed next. */
  pending: bigint | undefined;
  /** The commit in flight, or the wait for the next one to be due. */
  inFlight: Promise<void> | undefined;
  failing: boolean;
  /** When the last commit started (`performance.now()`). */
  lastCommitAt: number;
  /** Ends the wait for the next commit now (`settled`). */
  due: (() => void) | undefined;
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * Mirrors a position kept elsewhere (a sink's offsets in its target database) to the Kafka consumer
 * group, as Kafka Connect's sinks do, so that lag is what Kafka's own tools, dashboards and KEDA
 * read. Informational and best effort: `publish` neither waits for Kafka nor fails, so it costs the
 * hot path nothing. Per partition at most one commit is in flight, and with `minIntervalMs` at
 * most one starts per interval; positions published meanwhile coalesce and the latest is committed
 * next. A failed commit (the partition lost in a rebalance,
 * the broker away) is reported and dropped: the next position supersedes it.
 */
export class GroupOffsetMirror {
  private readonly partitions = new Map<string, PartitionMirror>();
  private readonly counted: ReturnType<typeof offsetMirrorMetrics> | undefined;

  constructor(private readonly options: GroupOffsetMirrorOptions) {
    this.counted = options.metrics === false ? undefined : offsetMirrorMetrics(options.group);
  }

  /** `nextOffset` (the next offset to consume) is where `tp` stands now: commit it to the group. */
  publish(tp: TopicPartition, nextOffset: bigint): void {
    const key = tpKey(tp);
    let mirror = this.partitions.get(key);
    if (mirror === undefined) {
      mirror = {
        pending: undefined,
        inFlight: undefined,
        failing: false,
        lastCommitAt: -Infinity,
        due: undefined,
      };
      this.partitions.set(key, mirror);
    }
    mirror.pending = nextOffset;
    if (mirror.inFlight === undefined) this.drain(tp, mirror);
  }

  /** The partition is no longer ours: a position not yet sent is dropped (one in flight finishes). */
  forget(tp: TopicPartition): void {
    const mirror = this.partitions.get(tpKey(tp));
    if (mirror !== undefined) mirror.pending = undefined;
  }

  /** Resolves once no commit is in flight or waiting; one waiting for its interval starts now (tests). */
  async settled(): Promise<void> {
    for (;;) {
      for (const mirror of this.partitions.values()) mirror.due?.();
      const busy = [...this.partitions.values()].flatMap((m) => (m.inFlight ? [m.inFlight] : []));
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  private drain(tp: TopicPartition, mirror: PartitionMirror): void {
    if (mirror.pending === undefined) {
      mirror.inFlight = undefined;
      return;
    }
    mirror.inFlight = this.commitNext(tp, mirror).then(() => this.drain(tp, mirror));
  }

  /**
   * Commits the latest position once it is due: on a later tick (never inside the caller's own
   * work, its transaction), and not before its interval. Never rejects.
   */
  private async commitNext(tp: TopicPartition, mirror: PartitionMirror): Promise<void> {
    await this.untilDue(mirror);
    const offset = mirror.pending;
    mirror.pending = undefined;
    if (offset === undefined) return; // forgotten meanwhile
    mirror.lastCommitAt = performance.now();
    try {
      await this.options.commit(tp, offset);
      mirror.failing = false;
      this.counted?.committed.inc();
    } catch (error) {
      this.counted?.failed.inc();
      const first = !mirror.failing;
      mirror.failing = true;
      try {
        this.options.onFailure?.(tp, error, first);
      } catch {
        // A reporter's own failure must not stop the mirror either.
      }
    }
  }

  private untilDue(mirror: PartitionMirror): Promise<void> {
    const wait = mirror.lastCommitAt + (this.options.minIntervalMs ?? 0) - performance.now();
    if (!(wait > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const due = () => {
        clearTimeout(timer);
        mirror.due = undefined;
        resolve();
      };
      // An informational commit does not keep the process alive.
      const timer = setTimeout(due, wait);
      timer.unref();
      mirror.due = due;
    });
  }
}
