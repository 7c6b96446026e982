import { type Admin } from 'kafkajs';
import {
  type AuditRecord,
  type DeadLetter,
  DeadLetterQueue,
  DeadLetterRenderer,
  deadLetterId,
  type RenderedDeadLetter,
  summarize,
  type DeadLetterSummary,
} from '@sluice/dead-letter-queue';
import { type KafkaConfig } from '@sluice/kafka';
import { type SchemaRegistryConfig } from '@sluice/schema';

/** A group's dead letters as the console shows them. */
export interface DeadLetterView {
  readonly group: string;
  readonly topic: string;
  /** Counts by error class and original topic, of the dead letters not redriven yet. */
  readonly summary: DeadLetterSummary;
  /** Dead letters in the DLQ, redriven ones included. */
  readonly total: number;
  /** Not redriven yet (or all, with `includeRedriven`), oldest first, decoded; `id` as the CLI's. */
  readonly deadLetters: ReadonlyArray<RenderedDeadLetter & { readonly id: string }>;
  readonly lastRuns: readonly AuditRecord[];
}

export interface RedriveRequest {
  /** Dead-letter ids (`<dlq partition>/<offset>`); all not yet redriven when absent. */
  readonly ids?: readonly string[];
  readonly dryRun: boolean;
  readonly actor: string;
}

export interface PurgeRequest {
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly actor: string;
  readonly before?: number;
}

/** A dead-letter id the group's DLQ does not hold. */
export class UnknownDeadLetterError extends Error {}

/**
 * `sluice dlq` for the console, through the same library (@sluice/dead-letter-queue): listing by
 * error class with decoded records, redrive (selection or all, dry run first) and purge, both
 * audited in `<group>.dlq.audit` exactly as the CLI does.
 */
export class DeadLetterService {
  private readonly renderer: DeadLetterRenderer;

  constructor(
    private readonly kafka: KafkaConfig,
    registry: SchemaRegistryConfig,
    private readonly admin: Admin,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    this.renderer = new DeadLetterRenderer(registry);
  }

  /** The groups with a dead-letter topic (`<group>.dlq`). */
  async groups(): Promise<string[]> {
    return (await this.admin.listTopics())
      .filter((t) => t.endsWith('.dlq'))
      .map((t) => t.slice(0, -'.dlq'.length))
      .sort();
  }

  async view(
    group: string,
    options: { includeRedriven?: boolean; limit?: number } = {},
  ): Promise<DeadLetterView> {
    return this.withQueue(group, async (queue) => {
      const [letters, parked, audit] = await Promise.all([
        queue.read(),
        queue.parkedKeys(),
        queue.auditTrail(),
      ]);
      const redrivenBy = redrivenIndex(audit);
      const pending = letters.filter((l) => !redrivenBy.has(deadLetterId(l)));
      const shown = (options.includeRedriven ? letters : pending).slice(0, options.limit ?? 200);
      const deadLetters = [];
      for (const letter of shown)
        deadLetters.push({
          id: deadLetterId(letter),
          ...(await this.renderer.render(letter, redrivenBy.get(deadLetterId(letter)) ?? [])),
        });
      return {
        group,
        topic: queue.topic,
        summary: summarize(pending, parked.length),
        total: letters.length,
        deadLetters,
        lastRuns: audit.slice(-5),
      };
    });
  }

  async redrive(group: string, request: RedriveRequest) {
    return this.withQueue(group, async (queue) => {
      const letters = await queue.read();
      let selected: DeadLetter[] = letters;
      if (request.ids !== undefined) {
        const byId = new Map(letters.map((l) => [deadLetterId(l), l]));
        const missing = request.ids.filter((id) => !byId.has(id));
        if (missing.length > 0)
          throw new UnknownDeadLetterError(`${queue.topic} has no dead letter ${missing.join(', ')}`);
        selected = request.ids.map((id) => byId.get(id)!);
      }
      const result = await queue.redrive(letters, selected, {
        actor: request.actor,
        filter: request.ids !== undefined ? { ids: [...request.ids] } : {},
        dryRun: request.dryRun,
      });
      const { plan } = result;
      return {
        id: result.id,
        dryRun: result.dryRun,
        published: result.dryRun ? 0 : plan.copies.length,
        copies: plan.copies.map((c) => ({
          deadLetter: deadLetterId(c.letter),
          target: `${c.target.topic}/${c.target.partition}`,
          of: `${c.mark.of.topic}/${c.mark.of.partition}/${c.mark.of.offset}`,
          errorClass: c.letter.errorClass,
          ...(c.mark.release ? { releases: true } : {}),
        })),
        releases: plan.releases.map((r) => ({
          topic: r.topic,
          partition: r.partition,
          failedOffset: String(r.failedOffset),
          through: String(r.through),
          records: r.records,
        })),
        skipped: plan.skipped,
      };
    });
  }

  async purge(group: string, request: PurgeRequest) {
    return this.withQueue(group, async (queue) => {
      const result = await queue.purge({
        actor: request.actor,
        filter: { before: request.before },
        force: request.force,
        dryRun: request.dryRun,
        ...(request.before !== undefined ? { before: request.before } : {}),
      });
      return {
        id: result.id,
        dryRun: result.dryRun,
        deleted: result.plan.count,
        parkedLost: result.plan.parkedLost,
        partitions: result.plan.partitions.map((p) => ({
          partition: p.partition,
          from: String(p.from),
          to: String(p.to),
        })),
      };
    });
  }

  private async withQueue<T>(group: string, work: (queue: DeadLetterQueue) => Promise<T>): Promise<T> {
    const queue = await DeadLetterQueue.open(this.kafka, group, this.warn);
    try {
      return await work(queue);
    } finally {
      await queue.close();
    }
  }
}

function redrivenIndex(audit: readonly AuditRecord[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const record of audit)
    if (record.kind === 'redrive')
      for (const d of record.deadLetters) index.set(d, [...(index.get(d) ?? []), record.id]);
  return index;
}
