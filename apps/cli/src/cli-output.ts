import { Option } from 'commander';
import { type CliContext } from './cli-context';

/** How a command prints its result: for people (text) or for scripts (json, one document on stdout). */
export type OutputFormat = 'text' | 'json';

/**
 * The `-o, --output <format>` option (`text` or `json`) every command that prints a result takes;
 * the commands that write configurations (`topics render`, `sync plan`, `debezium translate`) build
 * their own with `yaml` as the default.
 */
export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}

/**
 * Prints a command's result: as JSON (bigints as decimal strings) when `format` is json, else the
 * text lines `text` renders. Progress and warnings go to stderr (ctx.err) so stdout stays parseable.
 */
export function printResult(
  ctx: CliContext,
  format: string,
  result: unknown,
  text: () => string | readonly string[],
): void {
  if (format === 'json') {
    ctx.out(JSON.stringify(result, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    return;
  }
  const lines = text();
  for (const line of typeof lines === 'string' ? [lines] : lines) ctx.out(line);
}

/** A text table: each column as wide as its widest cell, two spaces apart; the header first. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
