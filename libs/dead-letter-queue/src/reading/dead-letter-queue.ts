import { randomUUID } from 'node:crypto';
import { type Admin, type Kafka } from 'kafkajs';
import {
  createKafkaClient,
  type KafkaConfig,
  type RangeRecord,
  readTopicRange,
  resolveRange,
} from '@sluice/kafka';
import { SluiceError } from '@sluice/errors';
import { decodeParkedMarker, dlqTopicFor, headersFromMap, parkedTopicFor } from '@sluice/stream';
import {
  auditTopicFor,
  type AuditRecord,
  decodeAuditRecord,
  MalformedAuditRecordError,
  type PurgeAuditRecord,
  type RedriveAuditRecord,
} from '../audit/audit-record';
import { type DeadLetter as Letter, deadLetterId, toDeadLetter } from '../dead-letter/dead-letter';
import { type ParkedKey, planRedrive, type RedrivePlan } from '../redrive/redrive-plan';
import { ensureAuditTopic } from '../audit/audit-trail';
import { appendAudit, publishRedrive } from '../redrive/redrive-publisher';
import { planPurge, type PurgePlan } from '../purge/purge-plan';

/** Who runs a redrive or purge, and with which filter (recorded in the audit trail). */
export interface AuditedRun {
  readonly actor: string;
  readonly filter: Readonly<Record<string, unknown>>;
  /** Plan only: nothing is published, deleted or audited. */
  readonly dryRun?: boolean;
}

export interface RedriveResult {
  readonly id: string;
  readonly dryRun: boolean;
  readonly plan: RedrivePlan;
  /** The audit record written (undefined on a dry run or when there was nothing to publish). */
  readonly audit?: RedriveAuditRecord;
}

export interface PurgeResult {
  readonly id: string;
  readonly dryRun: boolean;
  readonly plan: PurgePlan;
  readonly audit?: PurgeAuditRecord;
}

/** The group has no DLQ topic (it never ran, or the name is wrong). */
export class DeadLetterQueueNotFoundError extends SluiceError {
  readonly code = 'DLQ_NOT_FOUND';
  readonly retriable = false;
}

/**
 * A consumer group's dead-letter topics as one thing: `<group>.dlq` (the dead letters),
 * `<group>.dlq.parked` (keys parked now) and `<group>.dlq.audit` (what redrives and purges did).
 * Reads are whole-topic snapshots up to the end at the time of reading (read committed, with the
 * shared topic-range reader): dead-letter queues are meant to stay small.
 */
export class DeadLetterQueue {
  readonly topic: string;
  readonly parkedTopic: string;
  readonly auditTopic: string;

  private constructor(
    readonly group: string,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly existing: ReadonlySet<string>,
    private readonly warn: (message: string) => void,
  ) {
    this.topic = dlqTopicFor(group);
    this.parkedTopic = parkedTopicFor(group);
    this.auditTopic = auditTopicFor(group);
  }

  /**
   * Connects; throws DeadLetterQueueNotFoundError when `<group>.dlq` does not exist. `warn` is told
   * of each audit record skipped (one Sluice did not write).
   */
  static async open(
    config: KafkaConfig,
    group: string,
    warn: (message: string) => void = () => undefined,
  ): Promise<DeadLetterQueue> {
    const kafka = createKafkaClient(config);
    const admin = kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      throw new Error(`cannot reach Kafka at ${config.brokers.join(',')}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const topics = new Set(await admin.listTopics());
    if (!topics.has(dlqTopicFor(group))) {
      await admin.disconnect().catch(() => undefined);
      throw new DeadLetterQueueNotFoundError(
        `group ${group} has no dead-letter topic ${dlqTopicFor(group)} on ${config.brokers.join(',')}`,
      );
    }
    return new DeadLetterQueue(group, kafka, admin, topics, warn);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Every dead letter now in the DLQ, in DLQ order (partition, then offset). */
  async read(): Promise<Letter[]> {
    return (await this.readAll(this.topic)).map((r) =>
      toDeadLetter({ ...r, headers: headersFromMap(r.headers) }),
    );
  }

  /** The keys parked now (empty when the group never parked: no marker topic). */
  async parkedKeys(): Promise<ParkedKey[]> {
    if (!this.existing.has(this.parkedTopic)) return [];
    const latest = new Map<string, ParkedKey | null>();
    for (const r of await this.readAll(this.parkedTopic)) {
      const entry = decodeParkedMarker(r.key, r.value, `${r.topic}[${r.partition}]@${r.offset}`);
      const id = `${entry.tp.topic}\u0000${entry.tp.partition}\u0000${entry.key.toString('hex')}`;
      latest.set(
        id,
        entry.failedOffset === null
          ? null
          : { ...entry.tp, key: entry.key, failedOffset: entry.failedOffset },
      );
    }
    return [...latest.values()].filter((p): p is ParkedKey => p !== null);
  }

  /**
   * Every redrive and purge recorded, oldest first (empty before the first). A record Sluice did
   * not write records no run of it: skipped, each named to `warn` (the topic is kept forever, and
   * deleting below it would also delete the runs before it, which keep redrives from repeating).
   */
  async auditTrail(): Promise<AuditRecord[]> {
    if (!(await this.admin.listTopics()).includes(this.auditTopic)) return [];
    const records: AuditRecord[] = [];
    for (const r of await this.readAll(this.auditTopic))
      try {
        records.push(decodeAuditRecord(r.value, `${r.topic}[${r.partition}]@${r.offset}`));
      } catch (error) {
        if (!(error instanceof MalformedAuditRecordError)) throw error;
        this.warn(`${error.message}: skipped`);
      }
    return records;
  }

  /**
   * Publishes the `selected` dead letters (of `letters`, the DLQ as read) back to their original
   * topics and partitions, with the redrive protocol's headers (planRedrive): a parked key's
   * whole sequence, in order, released after its last copy. Copies and the audit record are
   * written in one transaction.
   */
  async redrive(
    letters: readonly Letter[],
    selected: readonly Letter[],
    run: AuditedRun,
  ): Promise<RedriveResult> {
    const id = randomUUID();
    const chosen = new Set(selected);
    const redriven = new Set<string>();
    for (const record of await this.auditTrail())
      if (record.kind === 'redrive') for (const d of record.deadLetters) redriven.add(d);
    const plan = planRedrive({
      id,
      letters,
      selected: (l) => chosen.has(l),
      parked: await this.parkedKeys(),
      redriven,
    });
    if (run.dryRun || plan.copies.length === 0) return { id, dryRun: run.dryRun ?? false, plan };
    const targets = new Map<string, { topic: string; partition: number; count: number }>();
    for (const c of plan.copies) {
      const k = `${c.target.topic}/${c.target.partition}`;
      const t = targets.get(k) ?? { ...c.target, count: 0 };
      t.count += 1;
      targets.set(k, t);
    }
    const audit: RedriveAuditRecord = {
      kind: 'redrive',
      id,
      group: this.group,
      at: new Date().toISOString(),
      actor: run.actor,
      filter: run.filter,
      count: plan.copies.length,
      deadLetters: plan.copies.map((c) => deadLetterId(c.letter)),
      targets: [...targets.values()],
      releases: plan.releases.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        key: r.key.toString('base64'),
        failedOffset: String(r.failedOffset),
        through: String(r.through),
      })),
    };
    await ensureAuditTopic(this.admin, this.auditTopic);
    await publishRedrive(this.kafka, this.group, plan.copies, { topic: this.auditTopic, record: audit });
    return { id, dryRun: false, plan, audit };
  }

  /**
   * Deletes the DLQ's records — all, or those before the first record stamped at/after `before`
   * (ms) in each partition (Kafka deletes below an offset) — then records it in the audit trail.
   * Refused (PurgeRefusedError) when dead letters of keys parked now would go, unless `force`.
   */
  async purge(run: AuditedRun & { readonly before?: number; readonly force: boolean }): Promise<PurgeResult> {
    const id = randomUUID();
    const offsets = await this.offsets();
    const at = run.before === undefined ? undefined : await this.offsetsAt(run.before);
    const cuts = offsets.map((o) => ({
      partition: o.partition,
      low: o.low,
      cut: at?.get(o.partition) ?? o.high,
    }));
    const plan = planPurge({
      letters: await this.read(),
      parked: await this.parkedKeys(),
      cuts,
      force: run.force,
    });
    if (run.dryRun) return { id, dryRun: true, plan };
    if (plan.partitions.length > 0)
      await this.admin.deleteTopicRecords({
        topic: this.topic,
        partitions: plan.partitions.map((p) => ({ partition: p.partition, offset: String(p.to) })),
      });
    const audit: PurgeAuditRecord = {
      kind: 'purge',
      id,
      group: this.group,
      at: new Date().toISOString(),
      actor: run.actor,
      filter: run.filter,
      count: plan.count,
      ...(run.before !== undefined ? { before: new Date(run.before).toISOString() } : {}),
      force: run.force,
      partitions: plan.partitions.map((p) => ({
        partition: p.partition,
        from: String(p.from),
        to: String(p.to),
      })),
    };
    await ensureAuditTopic(this.admin, this.auditTopic);
    await appendAudit(this.kafka, this.auditTopic, audit);
    return { id, dryRun: false, plan, audit };
  }

  /** Per DLQ partition: the first offset in the log and the end. */
  async offsets(): Promise<Array<{ partition: number; low: bigint; high: bigint }>> {
    const found = await this.admin.fetchTopicOffsets(this.topic);
    return found
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Per DLQ partition: the first offset whose record is stamped at or after `ms` (the end if none). */
  async offsetsAt(ms: number): Promise<Map<number, bigint>> {
    const found = await this.admin.fetchTopicOffsetsByTimestamp(this.topic, ms);
    return new Map(found.map((o) => [o.partition, BigInt(o.offset)]));
  }

  private async readAll(topic: string): Promise<RangeRecord[]> {
    const ranges = await resolveRange(this.admin, topic, {});
    const records: RangeRecord[] = [];
    const result = await readTopicRange(this.kafka, {
      topic,
      partitions: ranges,
      groupIdPrefix: `sluice.dlq-reader.${this.group}`,
      onBatch: (_partition, batch) => {
        records.push(...batch);
      },
    });
    if (!result.complete) throw new Error(`reading ${topic} stopped before its end`);
    return records.sort(
      (a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0),
    );
  }
}
