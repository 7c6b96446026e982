import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  checkCatalog,
  diffWithRegistry,
  loadSchemaCatalog,
  registerCatalog,
  RegistryApi,
} from '@sluice/schema-catalog';
import { avroToTypeScript } from '@sluice/schema';
import { type CliContext } from '../cli-context';
import { cliConnections, type ConnectionFlags, connectionOptions } from '../cli-connections';
import { UsageError } from '../cli-errors';
import { outputOption, printResult } from '../cli-output';

type Output = 'text' | 'json';

/** The registry a command was told about (a flag or a file), or undefined: none named. */
function namedRegistry(opts: ConnectionFlags): RegistryApi | undefined {
  const { registry, registryGiven } = cliConnections(opts, 'sluice-cli-schemas');
  return registryGiven ? new RegistryApi(registry.url, registry.auth) : undefined;
}

/** The registry `diff` and `register` work on: one must be named (registering is never a default). */
function requiredRegistry(opts: ConnectionFlags): RegistryApi {
  const api = namedRegistry(opts);
  if (api === undefined)
    throw new UsageError(
      'name the schema registry: -r, --registry <url>, or --config / --kafka-config with a registry: section',
    );
  return api;
}

/** `sluice schemas check | diff | register`: the workflow around `schemas/`, Sluice's own events. */
export function registerSchemasCommand(program: Command, ctx: CliContext): void {
  const schemas = program
    .command('schemas')
    .description("validate, diff and register the Avro schemas in schemas/ (Sluice's own events)");
  const dirOption = () =>
    new Option('-d, --dir <folder>', 'the schemas folder').default(join(ctx.projectRoot, 'schemas'));

  connectionOptions(
    schemas
      .command('check')
      .description(
        'validate every file and check each version against the earlier ones (and, with a registry named by ' +
          '--registry, --config or --kafka-config, against the registry); exit 1 on a problem',
      )
      .addOption(dirOption()),
    { registry: 'named' },
  )
    .addOption(outputOption())
    .action(async (opts: ConnectionFlags & { dir: string; output: Output }) => {
      const registry = namedRegistry(opts);
      const catalog = loadSchemaCatalog(resolve(opts.dir));
      const local = checkCatalog(catalog);
      const problems = local.flatMap((s) => s.problems);
      const remote = registry && problems.length === 0 ? await diffWithRegistry(catalog, registry) : [];
      for (const diff of remote) {
        if (diff.verdict && !diff.verdict.compatible) {
          problems.push(
            `${diff.subject}: v${diff.pending[0]} would be refused by the registry (${diff.registryCompatibility}): ${diff.verdict.messages.join('; ')}`,
          );
        }
      }
      if (opts.output === 'json')
        ctx.out(
          JSON.stringify(
            {
              subjects: catalog.map((s) => ({
                subject: s.subject,
                versions: s.versions.length,
                compatibility: s.compatibility,
              })),
              problems,
            },
            null,
            2,
          ),
        );
      else {
        for (const s of catalog)
          ctx.out(`${s.subject.padEnd(32)} v1..v${s.versions.length}  ${s.compatibility}`);
        for (const p of problems) ctx.err(`problem: ${p}`);
        ctx.out(
          problems.length
            ? `${problems.length} problem(s)`
            : `ok: ${catalog.length} subject(s) valid and compatible`,
        );
      }
      if (problems.length) process.exitCode = 1;
    });

  connectionOptions(
    schemas
      .command('diff')
      .description(
        'show, per subject, which local versions the registry has and which it would accept ' +
          '(the registry named by --registry, --config or --kafka-config)',
      )
      .addOption(dirOption()),
    { registry: 'named' },
  )
    .addOption(outputOption())
    .action(async (opts: ConnectionFlags & { dir: string; output: Output }) => {
      const registry = requiredRegistry(opts);
      const diffs = await diffWithRegistry(loadSchemaCatalog(resolve(opts.dir)), registry);
      if (opts.output === 'json') {
        ctx.out(JSON.stringify(diffs, null, 2));
        return;
      }
      for (const d of diffs) {
        const registered = d.registered.map((r) => `v${r.version}=id ${r.id}`).join(', ') || 'none';
        const pending = d.pending.length ? d.pending.map((v) => `v${v}`).join(', ') : 'none';
        const verdict = d.verdict
          ? d.verdict.compatible
            ? 'compatible'
            : `INCOMPATIBLE: ${d.verdict.messages.join('; ')}`
          : '';
        ctx.out(`${d.subject}: registered ${registered}; pending ${pending}${verdict ? `; ${verdict}` : ''}`);
      }
    });

  connectionOptions(
    schemas
      .command('register')
      .description(
        'register the local versions the registry does not have, oldest first; stops at the first incompatible ' +
          'one (exit 1); the registry named by --registry, --config or --kafka-config',
      )
      .addOption(dirOption()),
    { registry: 'named' },
  )
    .addOption(outputOption())
    .action(async (opts: ConnectionFlags & { dir: string; output: Output }) => {
      const registry = requiredRegistry(opts);
      const catalog = loadSchemaCatalog(resolve(opts.dir));
      const problems = checkCatalog(catalog).flatMap((s) => s.problems);
      if (problems.length) throw new Error(`schemas/ has problems, nothing registered: ${problems[0]}`);
      const registered = await registerCatalog(catalog, registry);
      if (opts.output === 'json') ctx.out(JSON.stringify(registered, null, 2));
      else {
        for (const r of registered) ctx.out(`registered ${r.subject} v${r.version} as id ${r.id}`);
        ctx.out(
          registered.length
            ? `${registered.length} version(s) registered`
            : 'the registry already has every version',
        );
      }
    });

  schemas
    .command('types')
    .description('generate TypeScript types from the newest version of each subject')
    .addOption(dirOption())
    .requiredOption('--out <folder>', 'where to write <subject>.ts files')
    .addOption(outputOption())
    .action((opts: { dir: string; out: string; output: Output }) => {
      const out = resolve(opts.out);
      mkdirSync(out, { recursive: true });
      const written = loadSchemaCatalog(resolve(opts.dir)).map(({ subject, versions }) => {
        const newest = versions.at(-1)!;
        const file = join(out, `${subject}.ts`);
        writeFileSync(
          file,
          avroToTypeScript(newest.text, { source: relative(ctx.projectRoot, newest.file) }),
        );
        return { subject, version: newest.version, file };
      });
      printResult(ctx, opts.output, { written }, () =>
        written.map((w) => `wrote ${relative(process.cwd(), w.file)} (${w.subject} v${w.version})`),
      );
    });
}
