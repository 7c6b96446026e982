import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { processEnvironment } from '@sluice/config';
import { declareConfigFileTopics, type PlannedTopic, TopicPlan } from '@sluice/topic-plan';
import { type CliContext } from '../cli-context';
import { UsageError, wholeNumberArg } from '../cli-errors';

const TABLE = /^[^.\s*]+\.[^.\s*]+$/;

interface RenderOptions {
  table: string[];
  partitions: string;
  replicas: string;
  output: 'yaml' | 'json';
}

/**
 * `sluice topics render [files...]`: the topics the given configurations read and write, DLQs
 * included, as the Helm chart's `topics:` value (each becomes a Strimzi KafkaTopic).
 */
export function registerTopicsCommand(program: Command, ctx: CliContext): void {
  const topics = program.command('topics').description('the Kafka topics a deployment needs');
  topics
    .command('render')
    .description(
      'print every topic the given app configurations and pipelines use (DLQs included) as the Helm ' +
        "chart's `topics:` value; without files, the configurations in examples/",
    )
    .argument('[files...]', 'source-postgres / transformer configurations and pipeline files')
    .option(
      '-t, --table <schema.table>',
      "a captured table, resolving a source's tables.include pattern (repeat for several)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--partitions <n>', 'partitions of a topic no configuration fixes', '3')
    .option('--replicas <n>', 'replication factor of a topic no configuration fixes', '1')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((files: string[], opts: RenderOptions) => {
      const bad = opts.table.find((t) => !TABLE.test(t));
      if (bad !== undefined) throw new UsageError(`--table expects schema.table, got '${bad}'`);
      const plan = new TopicPlan({
        partitions: wholeNumberArg('--partitions', 1)(opts.partitions),
        replicationFactor: wholeNumberArg('--replicas', 1)(opts.replicas),
      });
      const inputs = (files.length > 0 ? files : exampleConfigs(ctx.projectRoot)).map(shortPath);
      const env = processEnvironment();
      for (const file of inputs) declareConfigFileTopics(plan, file, { knownTables: opts.table, env });
      const planned = plan.topics();
      if (opts.output === 'json') {
        ctx.out(JSON.stringify({ topics: planned.map(chartTopic), notes: plan.notes() }, null, 2));
        return;
      }
      const header = [
        `# Rendered by \`sluice topics render\` from ${inputs.join(', ')}.`,
        ...plan.notes().map((n) => `# NOT DECLARED: ${n}`),
      ];
      ctx.out(
        `${header.join('\n')}\n${stringify({ topics: planned.map(chartTopic) }, { lineWidth: 0 }).trimEnd()}`,
      );
    });
}

/** A planned topic as the chart's `topics:` entry: Strimzi's names (`replicas`, `config`). */
function chartTopic(topic: PlannedTopic) {
  return {
    name: topic.name,
    partitions: topic.partitions,
    replicas: topic.replicationFactor,
    config: topic.configs,
    usedBy: topic.origins,
  };
}

function exampleConfigs(projectRoot: string): string[] {
  const dir = join(projectRoot, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

/** Paths under the working directory read relative, in the output and in error messages. */
function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}
