// `npm run bench`: every benchmark in one harness. Figures are medians over several runs with
// min/max, each beside its baseline from the same run, written to bench/results/ as JSON and a
// Markdown table with the machine's description. Nothing here asserts a speed: it measures.
//   npm run bench [-- --quick] [-- --runs N] [-- --only <name>[,<name>...]]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalStack, type PartName, stackLayout, startedParts } from '@sluice/stack';
import { envInt } from '@sluice/config';
import { stackAddresses } from '@sluice/test-support';
import { type BenchFigure, summarise } from './support/bench-figure';
import { cpuReferenceMs } from './support/cpu-reference';
import { benchCdcPeer } from './cdc-peer.bench';
import { benchPipeline } from './pipeline.bench';
import { benchPostgresDecode } from './postgres-decode.bench';
import { benchReplay } from './replay.bench';
import { benchSchemaRegistry } from './schema-registry.bench';
import { benchSinkPostgres } from './sink-postgres.bench';
import { benchSourcePostgres } from './source-postgres.bench';
import { benchTracing } from './tracing.bench';
import { benchSinkHttp } from './sink-http.bench';
import { benchSourceWebhook } from './source-webhook.bench';
import { benchSourceHttpPoll } from './source-http-poll.bench';
import { benchStateful } from './stateful.bench';
import { benchTransformer } from './transformer.bench';
import { benchTwoWaySync } from './two-way-sync.bench';

interface Suite {
  name: string;
  parts: PartName[];
  run: (opts: { runs: number; quick: boolean }) => Promise<BenchFigure[]>;
}

const SUITES: Suite[] = [
  {
    name: 'postgres-decode',
    parts: ['postgres'],
    run: ({ runs, quick }) => benchPostgresDecode({ runs, quick, postgres: stackAddresses().postgres }),
  },
  {
    name: 'schema-registry',
    parts: ['postgres'],
    run: ({ runs, quick }) => benchSchemaRegistry({ runs, quick, postgres: stackAddresses().postgres }),
  },
  {
    name: 'source-postgres',
    parts: ['postgres', 'kafka', 'registry'],
    run: ({ runs, quick }) => benchSourcePostgres({ runs, quick }),
  },
  {
    name: 'cdc-peer',
    parts: ['postgres', 'kafka', 'registry'],
    run: ({ runs, quick }) => benchCdcPeer({ runs, quick }),
  },
  {
    name: 'transformer',
    parts: ['kafka', 'registry'],
    run: ({ runs, quick }) => benchTransformer({ runs, quick }),
  },
  {
    name: 'stateful',
    parts: ['kafka', 'registry'],
    run: ({ runs, quick }) => benchStateful({ runs, quick }),
  },
  {
    name: 'sink-http',
    parts: ['kafka', 'registry'],
    run: ({ runs, quick }) => benchSinkHttp({ runs, quick }),
  },
  {
    name: 'source-webhook',
    parts: ['kafka', 'registry'],
    run: ({ runs, quick }) => benchSourceWebhook({ runs, quick }),
  },
  {
    name: 'source-http-poll',
    parts: ['kafka', 'registry'],
    run: ({ runs, quick }) => benchSourceHttpPoll({ runs, quick }),
  },
  {
    name: 'tracing',
    parts: ['kafka', 'registry', 'jaeger'],
    run: ({ runs, quick }) =>
      benchTracing({
        runs,
        quick,
        otlpEndpoint: `http://127.0.0.1:${envInt('SLUICE_JAEGER_OTLP_HTTP_PORT', 4318)}`,
      }),
  },
  {
    name: 'sink-postgres',
    parts: ['postgres', 'kafka', 'registry'],
    run: ({ runs, quick }) => benchSinkPostgres({ runs, quick }),
  },
  {
    name: 'replay',
    parts: ['kafka'],
    run: ({ runs, quick }) => benchReplay({ runs, quick }),
  },
  {
    name: 'pipeline',
    parts: ['postgres', 'kafka', 'registry'],
    run: ({ runs, quick }) => benchPipeline({ runs, quick }),
  },
  {
    name: 'two-way-sync',
    parts: ['postgres', 'kafka', 'registry'],
    run: ({ runs, quick }) => benchTwoWaySync({ runs, quick }),
  },
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      only: { type: 'string' },
    },
    strict: true,
  });
  const runs = values.runs ? Number(values.runs) : values.quick ? 3 : 5;
  if (!Number.isInteger(runs) || runs < 3)
    throw new Error(`--runs must be an integer >= 3, got ${values.runs}`);
  const only = values.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !SUITES.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0 || only?.length === 0)
    throw new Error(
      `--only: no suite named ${unknown.join(', ') || '""'} (suites: ${SUITES.map((s) => s.name).join(', ')})`,
    );
  const suites = SUITES.filter((s) => !only || only.includes(s.name));

  const projectRoot = join(__dirname, '..', '..');
  const stack = new LocalStack(stackLayout(projectRoot), {
    log: (line) => process.stderr.write(`[stack] ${line}\n`),
  });
  const parts = [...new Set(suites.flatMap((s) => s.parts))];
  const outcomes = await stack.up(parts);
  // What this run started, needed parts included (the registry brings Postgres): stopped at the end.
  const started = startedParts(outcomes);

  const results: SuiteResult[] = [];
  const referenceBefore = cpuReferenceMs();
  const startedAt = performance.now();
  let suitesSeconds: number;
  let referenceAfter: number;
  try {
    for (const suite of suites) {
      process.stderr.write(`bench: ${suite.name} (${runs} runs${values.quick ? ', quick' : ''})\n`);
      const suiteStart = performance.now();
      const figures = await suite.run({ runs, quick: values.quick ?? false });
      const seconds = Math.round((performance.now() - suiteStart) / 1000);
      process.stderr.write(`bench: ${suite.name} took ${seconds} s\n`);
      results.push({ suite: suite.name, seconds, figures });
    }
    suitesSeconds = Math.round((performance.now() - startedAt) / 1000);
    // As the one before: the stack up and idle.
    referenceAfter = cpuReferenceMs();
  } finally {
    if (started.length) await stack.down(started);
  }

  const machine = {
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB (${Math.round(freemem() / 2 ** 30)} GiB free)`,
    os: `${platform()} ${release()}`,
    node: process.version,
    kafka: stackLayout(projectRoot).kafka.version,
    date: new Date().toISOString(),
    quick: values.quick ?? false,
    runs,
    // Wall time of the suites (the stack's start excluded): the quick run's budget is 5 minutes.
    'suites took': `${suitesSeconds} s`,
    // The machine's speed as the run began and ended: compare two runs' figures only beside it.
    'CPU reference (fixed single-threaded work; lower is faster)': `${Math.round(referenceBefore)} ms before the suites, ${Math.round(referenceAfter)} ms after`,
  };
  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const json = JSON.stringify({ machine, results }, null, 2);
  const markdown = renderMarkdown(machine, results);
  writeFileSync(join(dir, `bench-${stamp}.json`), json);
  writeFileSync(join(dir, 'latest.json'), json);
  writeFileSync(join(dir, `bench-${stamp}.md`), markdown);
  writeFileSync(join(dir, 'latest.md'), markdown);
  process.stdout.write(
    `${markdown}\nwritten to ${join('bench', 'results', `bench-${stamp}.{json,md}`)} and latest.{json,md}\n`,
  );
}

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

interface SuiteResult {
  suite: string;
  /** Wall time of the suite's runs, baselines included. */
  seconds: number;
  figures: BenchFigure[];
}

function renderMarkdown(machine: Record<string, unknown>, results: SuiteResult[]): string {
  const lines = [
    '# Sluice benchmarks',
    '',
    Object.entries(machine)
      .map(([k, v]) => `- **${k}**: ${String(v)}`)
      .join('\n'),
    '',
    '| suite | figure | median | min | max | unit | baseline | baseline median (min–max) | ratio | goal |',
    '| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- |',
  ];
  for (const { suite, figures } of results) {
    for (const f of figures) {
      const s = summarise(f.runs);
      const b = f.baseline ? summarise(f.baseline.runs) : undefined;
      lines.push(
        `| ${suite} | ${f.name} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${f.unit} | ${f.baseline?.name ?? '–'} | ${
          b ? `${fmt(b.median)} (${fmt(b.min)}–${fmt(b.max)})` : '–'
        } | ${b ? `${(s.median / b.median).toFixed(2)}x` : '–'} | ${f.goal ?? '–'} |`,
      );
    }
  }
  lines.push('', '| suite | took (s) |', '| --- | ---: |');
  for (const { suite, seconds } of results) lines.push(`| ${suite} | ${seconds} |`);
  return `${lines.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? (err as Error).message}\n`);
  process.exitCode = 1;
});
