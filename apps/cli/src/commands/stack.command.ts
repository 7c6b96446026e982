import { type Command } from 'commander';
import {
  CORE_PARTS,
  LocalStack,
  OBSERVABILITY_PARTS,
  PART_NAMES,
  type PartName,
  type StackEvents,
  stackLayout,
  tailFile,
  withTls,
} from '@sluice/stack';
import { type CliContext } from '../cli-context';
import { UsageError } from '../cli-errors';
import { outputOption, printResult } from '../cli-output';

const OUTCOME_TEXT = {
  started: 'started',
  'already-running': 'already running',
  'answering-externally': 'already answering (not started by sluice; left alone)',
  unavailable: 'not started (see above); the stack goes on without it',
} as const;

function parseParts(names: string[]): PartName[] {
  for (const name of names) {
    if (!(PART_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown stack part '${name}' (parts: ${PART_NAMES.join(', ')})`);
    }
  }
  return names.length ? (names as PartName[]) : [...PART_NAMES];
}

/** `sluice stack up | down | status | logs`: the local stack, without Docker. */
export function registerStackCommand(program: Command, ctx: CliContext): void {
  const stack = program
    .command('stack')
    .description(
      'run the local stack: Kafka (KRaft), Postgres (wal_level=logical), the schema registry, Jaeger and Prometheus',
    );
  const newStack = (onPart?: StackEvents['onPart'], options: { tls?: boolean } = {}) => {
    const layout = stackLayout(ctx.projectRoot);
    return new LocalStack(options.tls ? withTls(layout) : layout, {
      log: (line) => ctx.err(`  ${line}`),
      onPart,
    });
  };

  stack
    .command('up')
    .description('start the stack parts (all by default) and return when each answers; idempotent')
    .argument(
      '[parts...]',
      `parts to start: ${PART_NAMES.join(', ')} (registry brings postgres, its storage)`,
    )
    .option('--no-observability', 'leave out Jaeger and Prometheus')
    .option(
      '--tls',
      'serve TLS: a CA and a localhost/127.0.0.1 certificate generated once into <home>/tls (ca.crt is what clients trust); Postgres with ssl=on, Kafka with a SASL_SSL listener on :9094 (SLUICE_KAFKA_SASL_SSL_PORT) (SCRAM-SHA-512/PLAIN, user and password in <home>/kafka/sasl.env) (SLUICE_STACK_TLS=1)',
      false,
    )
    .addOption(outputOption())
    .action(async (names: string[], opts: { observability: boolean; tls: boolean; output: string }) => {
      const parts = parseParts(names).filter(
        (name) => opts.observability || !OBSERVABILITY_PARTS.includes(name),
      );
      const started: Array<{ name: string; address: string; outcome: string }> = [];
      await newStack((name, outcome, address) => {
        started.push({ name, address, outcome });
        if (opts.output === 'text')
          ctx.out(`${name.padEnd(10)} ${address.padEnd(24)} ${OUTCOME_TEXT[outcome]}`);
      }, opts).up(parts);
      if (opts.output === 'json') printResult(ctx, opts.output, { parts: started }, () => []);
    });

  stack
    .command('down')
    .description('stop the parts this stack started (all by default); leaves no process behind')
    .argument('[parts...]', `parts to stop: ${PART_NAMES.join(', ')}`)
    .option('--purge', 'also delete the data folders (Kafka log, Postgres cluster)', false)
    .addOption(outputOption())
    .action(async (names: string[], opts: { purge: boolean; output: string }) => {
      const stopped = await newStack().down(parseParts(names), { purge: opts.purge });
      printResult(ctx, opts.output, { stopped, purged: opts.purge }, () => [
        stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing of the stack was running',
        ...(opts.purge ? ['data folders removed'] : []),
      ]);
    });

  stack
    .command('status')
    .description('list each part, its address and whether it answers; exit 1 if a part does not')
    .addOption(outputOption())
    .action(async (opts: { output: string }) => {
      const statuses = await newStack().status();
      if (opts.output === 'json') {
        ctx.out(JSON.stringify(statuses, null, 2));
      } else {
        for (const s of statuses) {
          const state = s.answering ? 'answering' : s.running ? 'running, not answering' : 'stopped';
          ctx.out(
            `${s.name.padEnd(10)} ${s.address.padEnd(24)} ${state.padEnd(24)} ${s.detail && s.answering ? s.detail : ''}`.trimEnd(),
          );
        }
      }
      // Jaeger and Prometheus are optional: only one started and not answering is a problem.
      const broken = statuses.filter(
        (s) => !s.answering && (CORE_PARTS.includes(s.name as PartName) || s.running),
      );
      if (broken.length > 0) process.exitCode = 1;
    });

  stack
    .command('logs')
    .description("print the end of a part's log (all parts by default)")
    .argument('[part]', `one of: ${PART_NAMES.join(', ')}`)
    .option(
      '-n, --lines <count>',
      'how many lines',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n <= 0)
          throw new UsageError(`--lines expects a positive integer, got '${v}'`);
        return n;
      },
      50,
    )
    .addOption(outputOption())
    .action((name: string | undefined, opts: { lines: number; output: string }) => {
      const local = newStack();
      const logs = parseParts(name ? [name] : []).map((part) => {
        const file = local.parts[part].logFile;
        return { part, file, text: tailFile(file, opts.lines) };
      });
      printResult(ctx, opts.output, { logs }, () =>
        logs.flatMap((l) => [`==> ${l.part}: ${l.file} <==`, l.text || '(no log yet)']),
      );
    });
}
