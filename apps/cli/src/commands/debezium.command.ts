import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { ConfigError } from '@sluice/errors';
import { translateDebeziumConfig } from '@sluice/postgres-cdc';
import { type CliContext } from '../cli-context';
import { UsageError } from '../cli-errors';

interface TranslateOptions {
  readonly out?: string;
  readonly output: 'yaml' | 'json';
}

/**
 * `sluice debezium translate <connector.json>`: a Debezium Postgres connector's Kafka Connect
 * configuration as a source-postgres configuration (YAML, with what was not translated and why as
 * comments at the top), or the whole translation as JSON.
 */
export function registerDebeziumCommand(program: Command, ctx: CliContext): void {
  const debezium = program.command('debezium').description('moving over from Debezium');
  debezium
    .command('translate')
    .description(
      'translate a Debezium Postgres connector configuration (Kafka Connect JSON) into a source-postgres configuration',
    )
    .argument('<file>', 'the connector JSON, as posted to Kafka Connect ({ name, config }) or its config map')
    .option('--out <file>', 'write the YAML there (the path is printed; with -o json, the JSON is)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((file: string, opts: TranslateOptions) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new UsageError(`no such file ${path}`);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, 'utf8'));
      } catch (error) {
        throw new ConfigError(`${path} is not JSON: ${(error as Error).message}`, path);
      }
      const translation = translateDebeziumConfig(json, path);
      const comments = [
        `# source-postgres configuration translated from ${path} (sluice debezium translate)`,
        ...translation.notes.map((n) => `# note: ${n}`),
        ...translation.untranslated.map((u) => `# not translated: ${u.key}=${u.value} — ${u.reason}`),
      ];
      const yaml = `${comments.join('\n')}\n${stringify(translation.config)}`;
      // --out writes the YAML whatever -o says (as sync plan's --out-dir); -o json prints the whole
      // translation beside it.
      if (opts.out !== undefined) writeFileSync(opts.out, yaml);
      if (opts.output === 'json') {
        ctx.out(JSON.stringify(translation, null, 2));
        return;
      }
      if (opts.out !== undefined) {
        ctx.out(opts.out);
        if (translation.untranslated.length > 0)
          ctx.err(
            `${translation.untranslated.length} setting(s) not translated: see the comments in ${opts.out}`,
          );
        return;
      }
      ctx.out(yaml.trimEnd());
    });
}
