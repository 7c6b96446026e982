import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import {
  type AuditRecord,
  type DeadLetterFilter,
  DeadLetterQueue,
  DeadLetterRenderer,
  deadLetterId,
  type RenderedDeadLetter,
  selectDeadLetters,
  summarize,
} from '@sluice/dead-letter-queue';
import { type SchemaRegistryConfig } from '@sluice/schema';
import { type CliContext } from '../cli-context';
import { cliConnections, type ConnectionFlags, connectionOptions } from '../cli-connections';
import { timeArg, UsageError, wholeNumberArg } from '../cli-errors';
import { formatTable, outputOption, printResult } from '../cli-output';
import { age, auditLine, redriveJson, redriveLines, showLines } from '../dlq/dlq-output';

interface Common extends ConnectionFlags {
  group: string;
  output: string;
}

interface FilterFlags {
  errorClass: string[];
  key?: string;
  fromTime?: number;
  toTime?: number;
  topic?: string;
  partition?: number;
  offset?: number;
}

/** `sluice dlq list | show | redrive | purge --group G`: a consumer group's dead-letter queue (docs/dlq.md). */
export function registerDlqCommand(program: Command, ctx: CliContext): void {
  const dlq = program
    .command('dlq')
    .description("a consumer group's dead-letter queue <group>.dlq: list, show, redrive, purge");
  const groupOption = () => new Option('-g, --group <group>', 'the consumer group').makeOptionMandatory();
  const withFilters = (cmd: Command) =>
    cmd
      .option(
        '--error-class <name>',
        'only this error class, `parked` or `unknown` (repeat for several)',
        collect,
        [],
      )
      .option('--key <text>', "only this key: its UTF-8 text, its Avro JSON, or a one-field key's value")
      .option(
        '--from-time <time>',
        'only dead letters stamped at or after (ISO-8601 or epoch ms)',
        timeArg('--from-time'),
      )
      .option(
        '--to-time <time>',
        'only dead letters stamped before (ISO-8601 or epoch ms)',
        timeArg('--to-time'),
      )
      .option('--topic <topic>', 'only records that failed in this topic')
      .option(
        '--partition <n>',
        'only records of this partition of the topic',
        wholeNumberArg('--partition', 0),
      )
      .option('--offset <n>', 'only the record at this offset of the topic', wholeNumberArg('--offset', 0));
  const actorOption = () =>
    new Option('--actor <name>', 'who runs it, for the audit trail').default(osUser(), 'the OS user');

  connectionOptions(
    dlq
      .command('list')
      .description(
        'counts by error class with the oldest and newest, per original topic, parked keys, last redrives',
      )
      .addOption(groupOption()),
    { kafka: true },
  )
    .addOption(outputOption())
    .action(async (opts: Common) =>
      withQueue(ctx, opts, async (queue) => {
        const [letters, parked, audit] = await Promise.all([
          queue.read(),
          queue.parkedKeys(),
          queue.auditTrail(),
        ]);
        const summary = summarize(letters, parked.length);
        const lastRuns = audit.slice(-5).map(auditLine);
        const now = Date.now();
        printResult(ctx, opts.output, { topic: queue.topic, ...summary, lastRuns: audit.slice(-5) }, () => [
          `${queue.topic}: ${summary.total} dead letter(s)` +
            (summary.oldest !== undefined
              ? `, oldest ${age(now, summary.oldest)} ago, newest ${age(now, summary.newest!)} ago`
              : '') +
            `; ${summary.parkedKeys} key(s) parked`,
          ...(summary.total === 0
            ? []
            : [
                ...formatTable(
                  ['ERROR CLASS', 'COUNT', 'OLDEST', 'NEWEST'],
                  summary.byErrorClass.map((c) => [
                    c.errorClass,
                    String(c.count),
                    age(now, c.oldest),
                    age(now, c.newest),
                  ]),
                ),
                ...formatTable(
                  ['ORIGINAL TOPIC', 'COUNT'],
                  summary.byTopic.map((t) => [t.topic, String(t.count)]),
                ),
              ]),
          ...(lastRuns.length > 0 ? ['last redrives and purges:', ...lastRuns.map((l) => `  ${l}`)] : []),
        ]);
      }),
    );

  connectionOptions(
    withFilters(
      dlq
        .command('show')
        .description('the dead letters, decoded (Avro as JSON through the registry), with readable headers')
        .addOption(groupOption()),
    ).option('--limit <n>', 'at most this many (the oldest first)', wholeNumberArg('--limit', 1), 50),
    { kafka: true, registry: true },
  )
    .addOption(outputOption())
    .action(async (opts: Common & FilterFlags & { limit: number }) =>
      withQueue(ctx, opts, async (queue, registry) => {
        const renderer = new DeadLetterRenderer(registry);
        const [letters, audit] = await Promise.all([queue.read(), queue.auditTrail()]);
        const selected = await selectDeadLetters(letters, filterOf(opts), (l) => renderer.decodedKey(l));
        const redrivenBy = redrivenIndex(audit);
        const shown: RenderedDeadLetter[] = [];
        for (const letter of selected.slice(0, opts.limit))
          shown.push(await renderer.render(letter, redrivenBy.get(deadLetterId(letter)) ?? []));
        printResult(
          ctx,
          opts.output,
          { topic: queue.topic, matched: selected.length, deadLetters: shown },
          () => [
            `${queue.topic}: ${selected.length} dead letter(s) match${selected.length > shown.length ? `, showing the first ${shown.length}` : ''}`,
            ...shown.flatMap(showLines),
          ],
        );
      }),
    );

  connectionOptions(
    withFilters(
      dlq
        .command('redrive')
        .description(
          'publish the selected dead letters back to their original topic and partition, in original order; ' +
            "a parked key's whole sequence is replayed and the key released after it; recorded in <group>.dlq.audit",
        )
        .addOption(groupOption()),
    )
      .option('--dry-run', 'print what would be published, publish nothing', false)
      .addOption(actorOption()),
    { kafka: true, registry: true },
  )
    .addOption(outputOption())
    .action(async (opts: Common & FilterFlags & { dryRun: boolean; actor: string }) =>
      withQueue(ctx, opts, async (queue, registry) => {
        const renderer = new DeadLetterRenderer(registry);
        const letters = await queue.read();
        const selected = await selectDeadLetters(letters, filterOf(opts), (l) => renderer.decodedKey(l));
        const result = await queue.redrive(letters, selected, {
          actor: opts.actor,
          filter: filterFlags(opts),
          dryRun: opts.dryRun,
        });
        printResult(ctx, opts.output, redriveJson(result), () => redriveLines(result));
      }),
    );

  connectionOptions(
    dlq
      .command('purge')
      .description(
        "delete the DLQ's records (all, or those before --before in each partition); refuses to delete dead " +
          'letters of keys still parked unless --force; recorded in <group>.dlq.audit',
      )
      .addOption(groupOption())
      .option('--before <time>', 'only records stamped before (ISO-8601 or epoch ms)', timeArg('--before'))
      .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)', false)
      .option('--force', 'also delete dead letters of keys still parked (their records are lost)', false)
      .addOption(actorOption()),
    { kafka: true },
  )
    .addOption(outputOption())
    .action(async (opts: Common & { before?: number; yes: boolean; force: boolean; actor: string }) => {
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
      if (!opts.yes && !interactive)
        throw new UsageError('purge deletes records: pass --yes to confirm (no terminal to ask on)');
      await withQueue(ctx, opts, async (queue) => {
        const run = {
          actor: opts.actor,
          filter: { before: opts.before },
          force: opts.force,
          ...(opts.before !== undefined ? { before: opts.before } : {}),
        };
        if (!opts.yes) {
          const plan = await queue.purge({ ...run, dryRun: true });
          if (!(await confirm(`delete ${plan.plan.count} dead letter(s) from ${queue.topic}? [y/N] `)))
            throw new Error('purge not confirmed; nothing deleted');
        }
        const result = await queue.purge(run);
        printResult(
          ctx,
          opts.output,
          {
            id: result.id,
            topic: queue.topic,
            deleted: result.plan.count,
            partitions: result.plan.partitions,
            parkedLost: result.plan.parkedLost,
          },
          () => [
            `purge ${result.id}: deleted ${result.plan.count} dead letter(s) from ${queue.topic}` +
              (result.plan.parkedLost > 0
                ? ` (${result.plan.parkedLost} of keys still parked, --force)`
                : ''),
            ...result.plan.partitions.map(
              (p) => `  partition ${p.partition}: offsets ${p.from} to ${p.to - 1n}`,
            ),
          ],
        );
      });
    });
}

async function withQueue<T>(
  ctx: CliContext,
  opts: Common,
  work: (queue: DeadLetterQueue, registry: SchemaRegistryConfig) => Promise<T>,
): Promise<T> {
  const { kafka, registry } = cliConnections(opts, 'sluice-cli-dlq');
  const queue = await DeadLetterQueue.open(kafka, opts.group, (m) => ctx.err(`sluice: warning: ${m}`));
  try {
    return await work(queue, registry);
  } finally {
    await queue.close();
  }
}

function filterOf(opts: FilterFlags): DeadLetterFilter {
  return {
    ...(opts.errorClass.length > 0 ? { errorClasses: opts.errorClass } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.fromTime !== undefined ? { fromTime: opts.fromTime } : {}),
    ...(opts.toTime !== undefined ? { toTime: opts.toTime } : {}),
    ...(opts.topic !== undefined ? { topic: opts.topic } : {}),
    ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
    ...(opts.offset !== undefined ? { offset: BigInt(opts.offset) } : {}),
  };
}

/** The filter flags as given, for the audit record. */
function filterFlags(opts: FilterFlags): Record<string, unknown> {
  const f = filterOf(opts);
  return { ...f, ...(f.offset !== undefined ? { offset: String(f.offset) } : {}) };
}

function redrivenIndex(audit: readonly AuditRecord[]): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const record of audit)
    if (record.kind === 'redrive')
      for (const d of record.deadLetters) index.set(d, [...(index.get(d) ?? []), record.id]);
  return index;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
