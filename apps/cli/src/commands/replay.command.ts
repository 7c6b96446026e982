import { type Command } from 'commander';
import { checkRangeSpec, createKafkaClient, InvalidRangeError, type RangeSpec } from '@sluice/kafka';
import {
  groupIsIdle,
  planGroupReset,
  RecordReencoder,
  ReplayCheckpointStore,
  ReplayMismatchError,
  ReplayRepublisher,
  type RepublishResult,
  resetGroupOffsets,
  type GroupResetPlan,
} from '@sluice/replay';
import { ConfluentSchemaRegistryClient, RecordDecoder, RecordEncoder } from '@sluice/schema';
import { type CliContext } from '../cli-context';
import { type CliConnections, cliConnections, connectionOptions, withKafkaAdmin } from '../cli-connections';
import { UsageError, wholeNumberArg } from '../cli-errors';
import { formatTable, outputOption, printResult } from '../cli-output';
import {
  boundFlag,
  describeRange,
  rangeFromFlags,
  replayIdFrom,
  type ReplayFlags,
  replayMode,
} from '../replay/replay-flags';
import { ReplayProgressLine } from '../replay/replay-progress-line';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `sluice replay`: a range of a topic (offsets or times, all or some partitions) re-published into
 * another topic (exactly once, resumable, rate-limited), or a consumer group moved to the range
 * start so its pipeline processes it again. Behaviour lives in @sluice/replay; this file parses
 * and prints.
 */
export function registerReplayCommand(program: Command, ctx: CliContext): void {
  const partitionArg = wholeNumberArg('--partition', 0);
  const command = program
    .command('replay')
    .description(
      'replay a range of a topic: re-publish it into another topic (--to-topic), or move a consumer ' +
        'group to its start (--group); exit 0 ok, 1 failed or refused, 2 usage, 130 interrupted',
    )
    .option('-t, --topic <topic>', 'the topic to replay from')
    .option(
      '--from-offset <[partition:]offset>',
      'start offset, for all partitions or per partition (repeat)',
      collect,
    )
    .option(
      '--to-offset <[partition:]offset>',
      'end offset, exclusive, for all or per partition (repeat; re-publish only)',
      collect,
    )
    .option('--from-time <time>', 'start: the first record at or after this ISO-8601 time or epoch ms')
    .option(
      '--to-time <time>',
      'end, exclusive: records before this ISO-8601 time or epoch ms (default: the end now; re-publish only)',
    )
    .option(
      '-p, --partition <n>',
      'only this partition (repeat for several; default all)',
      (v: string, prev: number[] | undefined) => [...(prev ?? []), partitionArg(v)],
    )
    .option('--to-topic <target>', 're-publish the range into this existing topic')
    .option(
      '-g, --group <group>',
      'move this consumer group to the range start (it must have no active members)',
    )
    .option('--reencode-latest', "re-encode Avro keys/values to the latest schema of the target's subjects")
    .option(
      '--skip-bad',
      'with --reencode-latest: skip and count records that cannot be re-encoded (default: stop)',
    )
    .option('--replay-id <id>', 'the replay id (default: generated and printed); the same id resumes it')
    .option('--resume <id>', 'continue an interrupted replay from its checkpoint')
    .option('--rate <records/s>', 'publish at most this many records a second', wholeNumberArg('--rate', 1))
    .option('--dry-run', 'with --group: print the per-partition plan, change nothing')
    .option('-q, --quiet', 'no progress on stderr');
  connectionOptions(command, { kafka: true, registry: true })
    .addOption(outputOption())
    .action(async (given: ReplayFlags) => {
      const flags = {
        ...given,
        fromOffset: given.fromOffset ?? [],
        toOffset: given.toOffset ?? [],
        partition: given.partition ?? [],
      };
      const mode = replayMode(flags);
      const range = mode === 'resume' ? {} : rangeFromFlags(flags);
      const replayId =
        mode === 'resume' ? replayIdFrom(flags.resume, '--resume') : replayIdFrom(flags.replayId);
      try {
        checkRangeSpec(range);
        const connections = cliConnections(flags, 'sluice-cli-replay');
        if (mode === 'reset') await reset(ctx, connections, flags, range, replayId);
        else await republish(ctx, connections, flags, range, replayId, mode === 'resume');
      } catch (error) {
        if (error instanceof InvalidRangeError && error.field !== 'topic') {
          const flag = error.field === 'partitions' ? '--partition' : boundFlag(flags, error.field);
          throw new UsageError(`${flag}: ${error.message}`);
        }
        if (error instanceof ReplayMismatchError) throw new UsageError(error.message);
        throw error;
      }
    });
}

async function reset(
  ctx: CliContext,
  { kafka: kafkaConfig }: CliConnections,
  flags: ReplayFlags,
  range: RangeSpec,
  resetId: string,
) {
  const group = flags.group!;
  const topic = flags.topic!;
  const kafka = createKafkaClient(kafkaConfig);
  await withKafkaAdmin(kafkaConfig, async (admin) => {
    const plan = await planGroupReset(admin, group, topic, range);
    if (!flags.dryRun) {
      if (!groupIsIdle(plan)) {
        throw new Error(
          `consumer group ${group} has ${plan.members} active member(s) (state ${plan.state}): stop them before resetting its offsets`,
        );
      }
      await resetGroupOffsets(kafka, admin, plan, resetId);
    }
    printResult(ctx, flags.output, { resetId, dryRun: Boolean(flags.dryRun), ...plan }, () =>
      resetLines(plan, resetId, Boolean(flags.dryRun)),
    );
  });
}

function resetLines(plan: GroupResetPlan, resetId: string, dryRun: boolean): string[] {
  const total = plan.steps.reduce((n, s) => n + s.toReprocess, 0n);
  const table = formatTable(
    ['PARTITION', 'COMMITTED', 'NEW OFFSET', 'END', 'TO REPROCESS'],
    plan.steps.map((s) => [
      String(s.partition),
      s.committed === undefined ? '-' : String(s.committed),
      String(s.offset),
      String(s.end),
      String(s.toReprocess),
    ]),
  );
  const head = dryRun
    ? `dry run: group ${plan.group} on ${plan.topic} would restart at these offsets (${total} record(s) to reprocess); nothing changed` +
      (groupIsIdle(plan)
        ? ''
        : ` — and it would be refused now: ${plan.members} active member(s), state ${plan.state}`)
    : `group ${plan.group} on ${plan.topic} reset (reset id ${resetId}): ${total} record(s) to reprocess when it starts`;
  return [head, ...table];
}

async function republish(
  ctx: CliContext,
  { kafka: kafkaConfig, registry: registryConfig }: CliConnections,
  flags: ReplayFlags,
  range: RangeSpec,
  replayId: string,
  resume: boolean,
) {
  const progress = new ReplayProgressLine(process.stderr, Boolean(flags.quiet));
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    progress.finish();
    ctx.err(
      `${signal}: committing the open chunk and stopping (again to quit at once; the open transaction is then aborted)`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RepublishResult;
  const kafka = createKafkaClient(kafkaConfig);
  try {
    result = await withKafkaAdmin(kafkaConfig, (admin) => {
      const registry = new ConfluentSchemaRegistryClient(registryConfig);
      const republisher = new ReplayRepublisher(kafka, admin, new ReplayCheckpointStore(kafka, admin));
      return republisher.run({
        replayId,
        resume,
        ...(!resume && {
          definition: {
            source: flags.topic!,
            target: flags.toTopic!,
            reencodeLatest: Boolean(flags.reencodeLatest),
            range: describeRange(range),
          },
          range,
        }),
        reencoder: (d) =>
          RecordReencoder.forTarget(
            registry,
            new RecordDecoder(registry),
            new RecordEncoder(registry, { autoRegister: false }),
            d.target,
          ),
        skipBad: Boolean(flags.skipBad),
        ...(flags.rate !== undefined && { ratePerSecond: flags.rate }),
        signal: controller.signal,
        onStart: (s) => {
          if (!flags.quiet) {
            ctx.err(
              `replay ${s.replayId}: ${s.definition.source} → ${s.definition.target} (${s.definition.range})` +
                `${s.resumed ? ', resumed from its checkpoint' : ''}; resume with: sluice replay --resume ${s.replayId}`,
            );
          }
        },
        onProgress: (p) => progress.update(p),
      });
    });
  } finally {
    progress.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  printResult(ctx, flags.output, result, () => republishLines(result));
  if (result.status === 'interrupted') {
    ctx.err(`replay ${result.replayId} interrupted; resume with: sluice replay --resume ${result.replayId}`);
    process.exitCode = 130;
  }
}

function republishLines(r: RepublishResult): string[] {
  const { source, target } = r.definition;
  const total = r.partitions.reduce((n, p) => n + p.published, 0);
  const head =
    r.status === 'already-done'
      ? `replay ${r.replayId} had already finished: nothing published (${total} record(s) in ${target} from earlier runs)`
      : r.status === 'done'
        ? `replay ${r.replayId} done: ${r.published} record(s) published from ${source} into ${target} in this run (${total} in all)`
        : `replay ${r.replayId} interrupted: ${r.published} record(s) published in this run (${total} in all)`;
  const table = formatTable(
    ['PARTITION', 'FROM', 'TO', 'NEXT', 'PUBLISHED', 'THIS RUN', 'SKIPPED'],
    r.partitions.map((p) => [
      String(p.partition),
      String(p.from),
      String(p.to),
      String(p.next),
      String(p.published),
      String(p.publishedThisRun),
      String(p.skipped),
    ]),
  );
  return [head, ...table];
}
