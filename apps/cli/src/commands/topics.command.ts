import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { processEnvironment } from '@sluice/config';
import { type GroupLag, TopicInspector, type TopicState } from '@sluice/kafka';
import { declareConfigFileTopics, type PlannedTopic, TopicPlan } from '@sluice/topic-plan';
import { type CliContext } from '../cli-context';
import { cliConnections, type ConnectionFlags, connectionOptions, withKafkaAdmin } from '../cli-connections';
import { UsageError, wholeNumberArg } from '../cli-errors';
import { formatTable, outputOption, printResult } from '../cli-output';

const TABLE = /^[^.\s*]+\.[^.\s*]+$/;

interface RenderOptions extends PlanOptions {
  partitions: string;
  replicas: string;
  output: 'yaml' | 'json';
}

interface PlanOptions {
  table: string[];
}

/**
 * `sluice topics list | describe | render`: the topics the configured apps and pipelines use, as
 * Kafka has them now (partitions, configs, the lag of the groups reading them), and as the Helm
 * chart's `topics:` value (each becomes a Strimzi KafkaTopic).
 */
export function registerTopicsCommand(program: Command, ctx: CliContext): void {
  const topics = program
    .command('topics')
    .description('the Kafka topics the configured apps use: their state, lag, and the declarative list');
  const tableOption = () =>
    new Option(
      '-t, --table <schema.table>',
      "a captured table, resolving a source's tables.include pattern (repeat for several)",
    )
      .argParser((value: string, previous: string[]) => [...previous, value])
      .default([] as string[]);

  connectionOptions(
    topics
      .command('list')
      .description(
        'every topic the given configurations use (without files, those in examples/): whether it exists, ' +
          'its partitions against the plan, records, and the lag of the consumer groups that read it',
      )
      .argument('[files...]', 'app configurations (any connector) and pipeline files')
      .addOption(tableOption()),
    { kafka: true },
  )
    .addOption(outputOption())
    .action(async (files: string[], opts: PlanOptions & ConnectionFlags & { output: string }) => {
      const { kafka } = cliConnections(opts, 'sluice-cli-topics');
      const { planned, inputs } = planFromFiles(ctx, files, opts);
      const rows = await withKafkaAdmin(kafka, async (admin) => {
        const inspector = new TopicInspector(admin);
        const states = await inspector.describe(planned.map((t) => t.name));
        return Promise.all(
          planned.map(async (topic, i) => {
            const state = states[i]!;
            const lag = state.exists ? await inspector.lag(state, topic.consumerGroups) : [];
            return { planned: topic, state, lag };
          }),
        );
      });
      const result = rows.map(({ planned: p, state, lag }) => ({
        name: p.name,
        exists: state.exists,
        partitions: state.exists ? state.partitions.length : null,
        plannedPartitions: p.partitions,
        replicationFactor: state.exists ? state.replicationFactor : null,
        records: state.records,
        configs: state.configs,
        usedBy: p.origins,
        lag: lag.map((g) => ({ group: g.group, state: g.state, members: g.members, lag: g.totalLag })),
      }));
      printResult(ctx, opts.output, { files: inputs, topics: result }, () =>
        formatTable(
          ['TOPIC', 'PARTITIONS', 'RECORDS', 'LAG (group: records behind)'],
          result.map((t) => [
            t.name,
            t.exists
              ? `${t.partitions}${t.partitions === t.plannedPartitions ? '' : ` (plan ${t.plannedPartitions})`}`
              : 'missing',
            t.exists ? String(t.records) : '-',
            t.lag.map((g) => `${g.group}: ${g.lag ?? 'no committed offsets'}`).join(', ') || '-',
          ]),
        ),
      );
    });

  connectionOptions(
    topics
      .command('describe')
      .description(
        "one topic as Kafka has it: each partition's leader, replicas and offsets, the configs set on it, " +
          'and every consumer group with committed offsets on it, with its lag per partition',
      )
      .argument('<topic>', 'the topic')
      .option(
        '-g, --group <group>',
        'only this consumer group (repeat for several)',
        collect,
        [] as string[],
      ),
    { kafka: true },
  )
    .addOption(outputOption())
    .action(async (topic: string, opts: ConnectionFlags & { group: string[]; output: string }) => {
      const { kafka } = cliConnections(opts, 'sluice-cli-topics');
      const { state, lag } = await withKafkaAdmin(kafka, async (admin) => {
        const inspector = new TopicInspector(admin);
        const [described] = await inspector.describe([topic]);
        if (!described!.exists)
          throw new Error(`topic ${topic} does not exist on ${kafka.brokers.join(',')}`);
        return {
          state: described!,
          lag: await inspector.lag(described!, opts.group.length > 0 ? opts.group : undefined),
        };
      });
      printResult(ctx, opts.output, { ...state, consumerGroups: lag }, () => describeLines(state, lag));
    });

  topics
    .command('render')
    .description(
      'print every topic the given app configurations and pipelines use (DLQs included) as the Helm ' +
        "chart's `topics:` value; without files, the configurations in examples/",
    )
    .argument('[files...]', 'app configurations (any connector) and pipeline files')
    .addOption(tableOption())
    .option('--partitions <n>', 'partitions of a topic no configuration fixes', '3')
    .option('--replicas <n>', 'replication factor of a topic no configuration fixes', '1')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((files: string[], opts: RenderOptions) => {
      const { plan, planned, inputs } = planFromFiles(ctx, files, opts, {
        partitions: wholeNumberArg('--partitions', 1)(opts.partitions),
        replicationFactor: wholeNumberArg('--replicas', 1)(opts.replicas),
      });
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

/** The topic plan of the given configuration files (without files, the configurations in examples/). */
function planFromFiles(
  ctx: CliContext,
  files: readonly string[],
  opts: PlanOptions,
  defaults = { partitions: 3, replicationFactor: 1 },
) {
  const bad = opts.table.find((t) => !TABLE.test(t));
  if (bad !== undefined) throw new UsageError(`--table expects schema.table, got '${bad}'`);
  const plan = new TopicPlan(defaults);
  const inputs = (files.length > 0 ? files : exampleConfigs(ctx.projectRoot)).map(shortPath);
  const env = processEnvironment();
  for (const file of inputs) declareConfigFileTopics(plan, file, { knownTables: opts.table, env });
  return { plan, planned: plan.topics(), inputs };
}

function describeLines(state: TopicState, lag: readonly GroupLag[]): string[] {
  const lines = [
    `${state.name}: ${state.partitions.length} partition(s), replication ${state.replicationFactor}, ${state.records} record(s)`,
    ...formatTable(
      ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START', 'END'],
      state.partitions.map((p) => [
        String(p.partition),
        String(p.leader),
        p.replicas.join(','),
        p.inSyncReplicas.join(','),
        String(p.lowOffset),
        String(p.highOffset),
      ]),
    ),
    `configs set on the topic: ${
      Object.entries(state.configs)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'none (broker defaults)'
    }`,
  ];
  if (lag.length === 0) return [...lines, 'consumer groups: none with committed offsets'];
  const groupRows = lag.flatMap((g) =>
    g.partitions.map((p) => [
      g.group,
      g.state,
      String(g.members),
      String(p.partition),
      p.committed === null ? '-' : String(p.committed),
      String(p.end),
      p.lag === null ? '-' : String(p.lag),
    ]),
  );
  return [
    ...lines,
    ...formatTable(['GROUP', 'STATE', 'MEMBERS', 'PARTITION', 'COMMITTED', 'END', 'LAG'], groupRows),
  ];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
