import { type Command, Option } from 'commander';
import { type CliContext } from '../cli-context';
import { httpUrl, UsageError } from '../cli-errors';
import { outputOption, printResult } from '../cli-output';

const TABLE = /^[^.\s]+\.[^.\s]+$/;

/**
 * `sluice snapshot --table s.t`: asks a running source-postgres for an incremental snapshot through
 * its management API, which writes Debezium's execute-snapshot signal into the signal table.
 */
export function registerSnapshotCommand(program: Command, ctx: CliContext): void {
  program
    .command('snapshot')
    .description(
      'snapshot captured tables again while streaming goes on (an incremental snapshot; the source needs signals.table)',
    )
    .requiredOption(
      '-t, --table <schema.table...>',
      'a captured table to snapshot (repeat or list several)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('-s, --source <url>', "the source's management API", httpUrl('--source'), 'http://127.0.0.1:8101')
    .addOption(
      new Option(
        '--token <token>',
        "the bearer token of the source's management API (its http.token), when it has one",
      ).env('SLUICE_MANAGEMENT_TOKEN'),
    )
    .addOption(outputOption())
    .action(async (opts: { table: string[]; source: string; token?: string; output: string }) => {
      const bad = opts.table.filter((t) => !TABLE.test(t));
      if (bad.length > 0) throw new UsageError(`--table expects schema.table, got '${bad[0]}'`);
      const url = new URL('snapshots', opts.source.endsWith('/') ? opts.source : `${opts.source}/`);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          },
          body: JSON.stringify({ tables: opts.table }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        throw new Error(`cannot reach the source at ${opts.source}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const body = (await response.json().catch(() => ({}))) as { message?: string; signalId?: string };
      if (!response.ok)
        throw new Error(`the source refused (${response.status}): ${body.message ?? response.statusText}`);
      const status = new URL('status', url).toString();
      printResult(
        ctx,
        opts.output,
        { tables: opts.table, signalId: body.signalId, status },
        () =>
          `incremental snapshot of ${opts.table.join(', ')} requested (signal ${body.signalId}); follow it with GET ${status}`,
      );
    });
}
