// `npm run chaos`: the pipeline under faults on a stack of its own (docs/chaos.md). Prints the
// summary and writes it to bench/results/chaos-<date>.md; exits 1 when a check failed.
//   npm run chaos [-- --faults 24] [-- --seed S] [-- --duration 330] [-- --broker-kills 5]
//                 [-- --rate 60] [-- --stall-threshold 60] [-- --drain-timeout 180]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '@sluice/test-support';
import { type ChaosOptions, DEFAULT_CHAOS_OPTIONS } from './chaos-options';
import { renderReport } from './chaos-report';
import { runChaos } from './chaos-run';
import { SeededRandom } from './seeded-random';

function count(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} expects an integer >= ${min}, got ${raw}`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      faults: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      'broker-kills': { type: 'string' },
      rate: { type: 'string' },
      'stall-threshold': { type: 'string' },
      'drain-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'npm run chaos -- [--faults N] [--seed S] [--duration SECONDS] [--broker-kills N] [--rate TPS]\n' +
        '                 [--stall-threshold SECONDS] [--drain-timeout SECONDS]\n',
    );
    return;
  }
  const d = DEFAULT_CHAOS_OPTIONS;
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nchaos: stopping (Ctrl-C again to leave at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const options: ChaosOptions = {
    ...d,
    seed: count('seed', values.seed, SeededRandom.newSeed()),
    faults: count('faults', values.faults, d.faults, 1),
    durationSeconds: count('duration', values.duration, d.durationSeconds, 30),
    minimum: { 'kill-broker': count('broker-kills', values['broker-kills'], d.minimum['kill-broker'] ?? 1) },
    rate: count('rate', values.rate, d.rate, 1),
    stallThresholdMs:
      count('stall-threshold', values['stall-threshold'], d.stallThresholdMs / 1000, 1) * 1000,
    drainTimeoutMs: count('drain-timeout', values['drain-timeout'], d.drainTimeoutMs / 1000, 10) * 1000,
    log: (line) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
    signal: controller.signal,
  };
  const outcome = await runChaos(options);
  const date = new Date().toISOString();
  const report = renderReport(outcome, {
    date,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`,
    node: process.version,
  });
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `chaos-${date.replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, report);
  writeFileSync(join(dir, 'chaos-latest.md'), report);
  process.stdout.write(`${report}\nwritten to ${file} and chaos-latest.md\n`);
  if (!outcome.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
