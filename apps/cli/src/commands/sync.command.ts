import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { parseYaml } from '@sluice/config';
import { planTwoWaySync } from '@sluice/connectors';
import { type CliContext } from '../cli-context';
import { UsageError } from '../cli-errors';

interface PlanOptions {
  readonly outDir?: string;
  readonly output: 'yaml' | 'json';
}

/**
 * `sluice sync plan <file>`: a two-way sync document (two databases, tables, rule) expanded into the
 * four app configurations (docs/two-way-sync.md), each validated, the pairs checked so that none
 * echoes; printed (YAML documents, or one JSON document), or written to `--out-dir`, a file per app.
 */
export function registerSyncCommand(program: Command, ctx: CliContext): void {
  const sync = program.command('sync').description('two-way sync between two Postgres databases');
  sync
    .command('plan')
    .description('expand a two-way sync configuration into its four apps (two sources, two sinks), validated')
    .argument('<file>', 'the sync YAML: name, sites (two databases), tables, rule (docs/two-way-sync.md)')
    .option('--out-dir <dir>', 'write <app>.yaml files there (the paths are printed)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((file: string, opts: PlanOptions) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new UsageError(`no such file ${path}`);
      const apps = planTwoWaySync(parseYaml(readFileSync(path, 'utf8'), path), path);
      const documents = apps.map(
        (app) => `# sluice run ${app.app} --config ${app.name}.yaml\n${stringify(app.config)}`,
      );
      let files: string[] = [];
      if (opts.outDir !== undefined) {
        mkdirSync(opts.outDir, { recursive: true });
        files = apps.map((app) => join(opts.outDir!, `${app.name}.yaml`));
        files.forEach((f, i) => writeFileSync(f, documents[i]));
      }
      if (opts.output === 'json') {
        const result = apps.map((app, i) => ({ ...app, ...(files[i] && { file: files[i] }) }));
        ctx.out(JSON.stringify(result, null, 2));
        return;
      }
      if (files.length > 0) {
        ctx.out(files.join('\n'));
        ctx.err('start both sources (and their snapshots) before either sink');
        return;
      }
      ctx.out(documents.join('---\n').trimEnd());
    });
}
