import { CommanderError } from 'commander';
import { SluiceError } from '@sluice/errors';
import { defaultContext } from './cli-context';
import { UsageError } from './cli-errors';
import { buildProgram } from './program';

/**
 * Exit codes: 0 ok, 1 the command failed (one line naming what), 2 usage error.
 */
async function main(argv: string[]): Promise<void> {
  const ctx = defaultContext();
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help / version text).
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof UsageError) {
      ctx.err(`sluice: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    const message = err instanceof SluiceError || err instanceof Error ? err.message : String(err);
    ctx.err(`sluice: ${message.split('\n')[0]}`);
    if (process.env.SLUICE_DEBUG) console.error(err);
    process.exitCode = 1;
  }
}

void main(process.argv);
