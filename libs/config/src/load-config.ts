import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { type z } from 'zod';
import { ConfigError } from '@sluice/errors';
import { type Environment, interpolate, type UnsetVariables } from './interpolate';

/** Formats a zod issue path the way a YAML reader thinks of it: `kafka.brokers[0]`. */
export function yamlPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/**
 * Validates an already parsed configuration tree: interpolates `${ENV}` placeholders, then checks it
 * against the component's zod schema. Every problem is reported with its YAML path; the caller's
 * object is never mutated.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  options: { source?: string; env?: Environment; unset?: UnsetVariables } = {},
): z.output<S> {
  const source = options.source ?? 'configuration';
  const interpolated = interpolate(raw ?? {}, options.env ?? process.env, source, '', options.unset);
  const result = schema.safeParse(interpolated);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `at ${yamlPath(issue.path)}: ${issue.message}`);
  const first = result.error.issues[0];
  throw new ConfigError(
    `${source}: ${problems.join('; ')}`,
    source,
    first ? yamlPath(first.path) : undefined,
  );
}

/** Parses YAML text; a syntax error names the line and column. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const where = err.linePos?.[0]
      ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}`
      : 'unknown position';
    throw new ConfigError(`${source}: YAML syntax error at ${where}: ${err.message.split('\n')[0]}`, source);
  }
  return doc.toJS();
}

/** Reads, interpolates and validates a YAML configuration file. */
export function loadConfigFile<S extends z.ZodType>(
  schema: S,
  file: string,
  options: { env?: Environment; unset?: UnsetVariables } = {},
): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `${file}: cannot read configuration file (${(cause as Error).message})`,
      file,
      undefined,
      {
        cause,
      },
    );
  }
  return parseConfig(schema, parseYaml(text, file), { ...options, source: file });
}
