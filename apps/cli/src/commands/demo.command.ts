import { type Command } from 'commander';
import { runDemo, runTwoWayDemo } from '@sluice/demo';
import { CORE_PARTS, LocalStack, PART_NAMES, stackLayout, startedParts } from '@sluice/stack';
import { type CliContext } from '../cli-context';
import { UsageError, wholeNumberArg } from '../cli-errors';
import { outputOption, printResult } from '../cli-output';

/**
 * `sluice demo`: the local stack, a sample schema, source-postgres → transformer → sink-postgres and
 * sink-http as their own processes, a workload with one poison record, a live view; then drain,
 * check and summarise. Exit 0 only when the replica equals the source and the webhook receiver got
 * each event once. `--webhooks` adds source-webhook fed by a Stripe-style sender, an invoices
 * pipeline and its replica table, and checks each acknowledged event landed once. `--two-way`
 * instead keeps two databases in step both ways (runTwoWayDemo).
 */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'run the whole pipeline live (CDC source → transformer → Postgres replica and webhook) with a workload, then check the replica equals the source and each webhook event arrived once',
    )
    .option(
      '-d, --duration <seconds>',
      'how long the workload runs (default: until Ctrl-C)',
      wholeNumberArg('--duration', 1, 86_400),
    )
    .option('-r, --rate <txns>', 'workload transactions per second', wholeNumberArg('--rate', 1, 5_000), 50)
    .option(
      '--customers <n>',
      'customers seeded before the start (3 orders each)',
      wholeNumberArg('--customers', 1, 1_000_000),
      1000,
    )
    .option(
      '--webhooks',
      'also run source-webhook: a Stripe-style sender posts signed invoice events (some redelivered, non-2xx retried) → source-webhook → a second transformer (paid invoices only) → sink-postgres table demo_replica.invoices; checks each acknowledged event is there once',
      false,
    )
    .option(
      '--two-way',
      "instead: two-way sync between the stack's two databases (source = site a, sink = site b), the four apps of `sluice sync plan` as their own processes, random changes of the same 200 accounts on both sides at --rate each; checks both sides end equal row for row and nothing echoes",
      false,
    )
    .option(
      '--kill-source <n>',
      'kill -9 source-postgres n times during the workload (evenly spread), starting it again each time; the checks must still hold (exactly once: no webhook event twice)',
      wholeNumberArg('--kill-source', 0, 100),
      0,
    )
    .option('--keep', 'leave the apps and the stack running after the summary', false)
    .option(
      '--no-observability',
      'leave out Jaeger and Prometheus (the first start builds Jaeger, which takes minutes)',
    )
    .addOption(outputOption())
    .action(
      async (
        opts: {
          output: string;
          duration?: number;
          rate: number;
          customers: number;
          keep: boolean;
          killSource: number;
          observability: boolean;
          webhooks: boolean;
          twoWay: boolean;
        },
        command: Command,
      ) => {
        if (opts.twoWay) {
          // The two-way demo has its own workload: these would be accepted and do nothing.
          const pipelineOnly = [
            opts.webhooks && '--webhooks',
            opts.killSource > 0 && '--kill-source',
            command.getOptionValueSource('customers') === 'cli' && '--customers',
          ].filter(Boolean);
          if (pipelineOnly.length > 0)
            throw new UsageError(
              `${pipelineOnly.join(', ')} only ${pipelineOnly.length === 1 ? 'goes' : 'go'} with the pipeline demo, not --two-way`,
            );
        }
        const layout = stackLayout(ctx.projectRoot);
        // With --output json the live view and the summary go to stderr; stdout gets the checks.
        const say = opts.output === 'json' ? ctx.err : ctx.out;
        const stack = new LocalStack(layout, {
          log: (line) => ctx.err(`  ${line}`),
          onPart: (name, outcome, address) => say(`${name.padEnd(9)} ${address.padEnd(24)} ${outcome}`),
        });
        const outcomes = await stack.up(opts.observability && !opts.twoWay ? PART_NAMES : CORE_PARTS);
        const started = startedParts(outcomes);
        const abort = new AbortController();
        const onSignal = () => {
          if (abort.signal.aborted) process.exit(130); // a second Ctrl-C: give up at once
          abort.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          if (opts.twoWay) {
            const outcome = await runTwoWayDemo({
              projectRoot: ctx.projectRoot,
              durationSeconds: opts.duration,
              rate: opts.rate,
              keep: opts.keep,
              signal: abort.signal,
              out: say,
              stack: {
                kafkaBrokers: [`${layout.kafka.host}:${layout.kafka.port}`],
                registryUrl: `http://${layout.registry.host}:${layout.registry.port}`,
                postgres: {
                  host: layout.postgres.host,
                  port: layout.postgres.port,
                  user: layout.postgres.user,
                  password: layout.postgres.password,
                },
              },
            });
            printResult(ctx, opts.output, { ok: outcome.ok, checks: outcome.checks }, () =>
              outcome.ok ? '\ndemo: both sides converged, no echo' : '\ndemo: a check failed (see above)',
            );
            if (!outcome.ok) process.exitCode = 1;
            return;
          }
          const outcome = await runDemo({
            projectRoot: ctx.projectRoot,
            durationSeconds: opts.duration,
            rate: opts.rate,
            customers: opts.customers,
            keep: opts.keep,
            killSource: opts.killSource,
            observability: opts.observability,
            webhooks: opts.webhooks,
            interactive: Boolean(process.stdout.isTTY) && !process.env.CI,
            signal: abort.signal,
            out: say,
            err: ctx.err,
            stack: {
              kafkaBrokers: [`${layout.kafka.host}:${layout.kafka.port}`],
              postgres: {
                host: layout.postgres.host,
                port: layout.postgres.port,
                user: layout.postgres.user,
                password: layout.postgres.password,
              },
            },
          });
          printResult(ctx, opts.output, { ok: outcome.ok, checks: outcome.checks }, () =>
            outcome.ok ? '\ndemo: every check holds' : '\ndemo: a check failed (see above)',
          );
          if (!outcome.ok) process.exitCode = 1;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          if (!opts.keep && started.length > 0) {
            await stack.down(started);
            say(`stopped what the demo started (${started.join(', ')}); --keep leaves it running`);
          }
        }
      },
    );
}
