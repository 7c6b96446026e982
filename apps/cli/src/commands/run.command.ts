import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command } from 'commander';
import { appProcessEnv } from '@sluice/config';
import { CONNECTORS } from '@sluice/connectors';
import { type CliContext } from '../cli-context';
import { UsageError } from '../cli-errors';

/** The deployable apps: every `apps/<name>` with a compiled `main.js`, the CLI itself excluded. */
export function runnableApps(projectRoot: string): string[] {
  const dir = join(projectRoot, 'dist', 'apps');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name !== 'cli' && existsSync(join(dir, name, 'src', 'main.js')))
    .sort();
}

/** `sluice run <app> --config <file>`: one app in the foreground, as a container would run it. */
export function registerRunCommand(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description(
      'run one app in the foreground with a YAML configuration (SIGINT/SIGTERM stop it gracefully)',
    )
    .argument(
      '<app>',
      `the app: schema-registry, console or a connector (${CONNECTORS.map((c) => c.name).join(', ')})`,
    )
    .requiredOption('-c, --config <file>', "the app's YAML configuration (see examples/)")
    .action(async (app: string, opts: { config: string }) => {
      const apps = runnableApps(ctx.projectRoot);
      if (!apps.includes(app))
        throw new UsageError(
          `unknown app '${app}' (apps: ${apps.join(', ') || 'none built; run npm run build'})`,
        );
      const config = resolve(opts.config);
      if (!existsSync(config)) throw new UsageError(`--config: no such file ${config}`);
      const child = spawn(process.execPath, [join(ctx.projectRoot, 'dist', 'apps', app, 'src', 'main.js')], {
        stdio: 'inherit',
        env: appProcessEnv({ ...process.env, SLUICE_CONFIG: config }),
      });
      // The app drains and exits on its own; we only pass the signal on and wait.
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((done) => child.on('exit', (c, s) => done(c ?? (s ? 128 : 1))));
      process.exitCode = code;
    });
}
