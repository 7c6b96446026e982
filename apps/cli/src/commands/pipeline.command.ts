import { existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Command } from 'commander';
import {
  type CaseResult,
  type CompiledPipeline,
  fixtureDirOf,
  loadFixtureCases,
  loadPipeline,
  runFixtureCase,
  stepReferenceMarkdown,
  writeFixtureFile,
} from '@sluice/pipeline';
import { type CliContext } from '../cli-context';
import { cliConnections, type ConnectionFlags, connectionOptions } from '../cli-connections';
import { type OutputFormat, outputOption, printResult } from '../cli-output';
import { UsageError, wholeNumberArg } from '../cli-errors';
import { recordTopic } from '../pipeline/topic-recorder';

function existingFile(file: string, what: string): string {
  const full = resolve(file);
  if (!existsSync(full)) throw new UsageError(`${what}: no such file ${full}`);
  return full;
}

function defaultTopicOf(pipeline: CompiledPipeline): string {
  const from = pipeline.config.from;
  return 'topics' in from ? from.topics[0]! : 'input';
}

/** `sluice pipeline docs | test | record`: the workflow around declarative pipelines. */
export function registerPipelineCommand(program: Command, ctx: CliContext): void {
  const pipeline = program
    .command('pipeline')
    .description('document, test and record fixtures for YAML pipelines');

  pipeline
    .command('docs')
    .description('print the step reference generated from the step config schemas (docs/pipeline-steps.md)')
    .option('--out <file>', 'write it to this file instead')
    .action((opts: { out?: string }) => {
      const text = stepReferenceMarkdown();
      if (!opts.out) return void process.stdout.write(text);
      writeFileSync(resolve(opts.out), text);
      ctx.out(`wrote ${relative(process.cwd(), resolve(opts.out))}`);
    });

  pipeline
    .command('test')
    .description(
      'run the pipeline over the cases in <pipeline>.tests/<case>/input.yaml and compare with expected.yaml; no Kafka needed; exit 1 on a failing case',
    )
    .argument('<pipeline>', 'the pipeline file')
    .option('--update', 'write expected.yaml from the actual output (review before committing)')
    .addOption(outputOption())
    .action(async (file: string, opts: { update?: boolean; output: OutputFormat }) => {
      const pipelineFile = existingFile(file, 'pipeline');
      const compiled = loadPipeline(pipelineFile);
      try {
        const cases = loadFixtureCases(fixtureDirOf(pipelineFile));
        const results: CaseResult[] = [];
        for (const c of cases) {
          const result = await runFixtureCase(compiled, c, defaultTopicOf(compiled));
          if (opts.update && !result.passed) {
            writeFixtureFile(c.dir, 'expected', result.actual);
            results.push({ ...result, passed: true, differences: [] });
          } else results.push(result);
        }
        report(ctx, relative(process.cwd(), pipelineFile), results, opts.output, opts.update === true);
        if (results.some((r) => !r.passed)) process.exitCode = 1;
      } finally {
        await compiled.close();
      }
    });

  connectionOptions(
    pipeline
      .command('record')
      .description(
        'capture the first records of a topic as test fixtures (decoded, with writer schemas, ids and versions); with --pipeline also write expected.yaml from its output',
      )
      .requiredOption('-t, --topic <topic>', 'the topic to read from the beginning')
      .option('-n, --count <n>', 'how many records', wholeNumberArg('--count', 1), 10)
      .option(
        '--out <dir>',
        'the fixture folder (default: <pipeline>.tests with --pipeline, else ./<topic>.tests)',
      )
      .option(
        '-p, --pipeline <file>',
        'the pipeline the fixtures are for: writes expected.yaml from its output',
      ),
    { kafka: true, registry: true },
  )
    .option(
      '--timeout <ms>',
      'stop waiting for records after this long',
      wholeNumberArg('--timeout', 1),
      30_000,
    )
    .addOption(outputOption())
    .action(
      async (
        opts: ConnectionFlags & {
          output: OutputFormat;
          topic: string;
          count: number;
          out?: string;
          pipeline?: string;
          timeout: number;
        },
      ) => {
        const connections = cliConnections(opts, 'sluice-record');
        const compiled = opts.pipeline ? loadPipeline(existingFile(opts.pipeline, '--pipeline')) : undefined;
        try {
          const out = resolve(
            opts.out ?? (opts.pipeline ? fixtureDirOf(opts.pipeline) : `${opts.topic}.tests`),
          );
          const inputs = await recordTopic({
            kafka: connections.kafka,
            registry: connections.registry,
            topic: opts.topic,
            count: opts.count,
            timeoutMs: opts.timeout,
          });
          if (inputs.length === 0) throw new Error(`no records on ${opts.topic} within ${opts.timeout} ms`);
          const recorded: string[] = [];
          for (const input of inputs) {
            const r = input.records[0]!;
            const dir = join(out, `${r.topic}-p${r.partition}-o${r.offset}`);
            writeFixtureFile(dir, 'input', input);
            if (compiled) {
              const [c] = loadFixtureCases(out).filter((fc) => fc.dir === dir);
              writeFixtureFile(dir, 'expected', (await runFixtureCase(compiled, c!, opts.topic)).actual);
            }
            recorded.push(relative(process.cwd(), dir));
          }
          printResult(ctx, opts.output, { topic: opts.topic, asked: opts.count, recorded }, () => [
            ...recorded.map((dir) => `recorded ${dir}`),
            `${inputs.length} record(s) from ${opts.topic}${inputs.length < opts.count ? ` (asked for ${opts.count})` : ''}` +
              (compiled ? '; review each expected.yaml before committing' : ''),
          ]);
        } finally {
          await compiled?.close();
        }
      },
    );
}

function report(
  ctx: CliContext,
  file: string,
  results: CaseResult[],
  output: OutputFormat,
  updated: boolean,
): void {
  const failed = results.filter((r) => !r.passed);
  const result = {
    pipeline: file,
    passed: results.length - failed.length,
    failed: failed.length,
    cases: results,
  };
  printResult(ctx, output, result, () => [
    `Test '${file}':`,
    ...results.flatMap((r) => [
      `  ${r.passed ? 'PASS' : 'FAIL'} ${r.name}`,
      ...r.differences.map((d) => `       ${d}`),
    ]),
    `${results.length} case(s): ${results.length - failed.length} passed, ${failed.length} failed${updated ? ' (expected files updated)' : ''}`,
  ]);
}
