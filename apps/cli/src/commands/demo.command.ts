import { type Command } from 'commander';
import { LocalStack, stackLayout } from '@sluice/stack';
import { type CliContext } from '../cli-context';

/**
 * `sluice demo`. Until the full pipeline demo lands (source → transformer → sinks with a live view),
 * this brings up the local stack and shows what answers where; it says so when it runs.
 */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('bring up the local stack and show it answering (the full pipeline demo is not built yet)')
    .option('--keep', 'leave the stack running afterwards', false)
    .action(async (opts: { keep: boolean }) => {
      ctx.out(
        'sluice demo: the end-to-end pipeline demo (CDC source → transformer → sinks) is not built yet;',
      );
      ctx.out('this run brings up the local stack and checks that every part answers.\n');
      const stack = new LocalStack(stackLayout(ctx.projectRoot), {
        log: (line) => ctx.err(`  ${line}`),
        onPart: (name, outcome, address) => ctx.out(`${name.padEnd(9)} ${address.padEnd(24)} ${outcome}`),
      });
      const outcomes = await stack.up();
      const statuses = await stack.status();
      ctx.out('');
      for (const s of statuses)
        ctx.out(`${s.name.padEnd(9)} ${s.answering ? 'answering' : 'NOT answering'}  ${s.detail ?? ''}`);
      const started = Object.entries(outcomes)
        .filter(([, o]) => o === 'started')
        .map(([n]) => n);
      if (!opts.keep && started.length) {
        await stack.down(started as never);
        ctx.out(`\nstopped what the demo started (${started.join(', ')}); use --keep to leave it running`);
      }
      if (!statuses.every((s) => s.answering)) process.exitCode = 1;
    });
}
