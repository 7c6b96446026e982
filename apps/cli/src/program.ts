import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { type CliContext } from './cli-context';
import { registerConsoleCommand } from './commands/console.command';
import { registerDebeziumCommand } from './commands/debezium.command';
import { registerDemoCommand } from './commands/demo.command';
import { registerDlqCommand } from './commands/dlq.command';
import { registerPipelineCommand } from './commands/pipeline.command';
import { registerReplayCommand } from './commands/replay.command';
import { registerRunCommand } from './commands/run.command';
import { registerSchemasCommand } from './commands/schemas.command';
import { registerSnapshotCommand } from './commands/snapshot.command';
import { registerStackCommand } from './commands/stack.command';
import { registerSyncCommand } from './commands/sync.command';
import { registerTopicsCommand } from './commands/topics.command';

/** The `sluice` command tree. Each command registers itself from its own file. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('sluice')
    .description(
      'Sluice: Postgres CDC, stream processing and sinks on Kafka, with Avro, exactly-once and tracing',
    )
    .version(packageVersion(ctx.projectRoot), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  registerStackCommand(program, ctx);
  registerRunCommand(program, ctx);
  registerSchemasCommand(program, ctx);
  registerDemoCommand(program, ctx);
  registerPipelineCommand(program, ctx);
  registerSnapshotCommand(program, ctx);
  registerTopicsCommand(program, ctx);
  registerReplayCommand(program, ctx);
  registerDlqCommand(program, ctx);
  registerConsoleCommand(program, ctx);
  registerSyncCommand(program, ctx);
  registerDebeziumCommand(program, ctx);
  // Every subcommand reports usage errors through the same exit path (code 2).
  const applyExitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(applyExitOverride);
  };
  applyExitOverride(program);
  return program;
}

function packageVersion(projectRoot: string): string {
  return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
}
