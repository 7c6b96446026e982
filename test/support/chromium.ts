import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export type ChromiumOutcome =
  | { readonly ok: true; readonly executablePath: string; readonly installedNow: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Debian's Chromium for the browser suites, installed once with apt-get when missing and this
 * process is root (`apt-get update && apt-get install -y --no-install-recommends chromium`). When it
 * cannot be (not root, apt-get missing or failing, no network), says exactly why, for the suite's
 * skip message. No browser is ever downloaded by npm: playwright-core only drives this one.
 */
export function ensureChromium(
  log: (line: string) => void = (line) => process.stderr.write(`[chromium] ${line}\n`),
): ChromiumOutcome {
  const path = process.env.SLUICE_CHROMIUM ?? DEBIAN_CHROMIUM;
  if (existsSync(path)) return { ok: true, executablePath: path, installedNow: false };
  if (process.env.SLUICE_CHROMIUM) return { ok: false, reason: `SLUICE_CHROMIUM=${path} names no file` };
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason: `${path} is missing and this process is not root, so it cannot apt-get install chromium (run: sudo apt-get install -y --no-install-recommends chromium)`,
    };
  log('chromium missing: apt-get update && apt-get install -y --no-install-recommends chromium');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const run = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: 600_000 });
    if (run.error || run.status !== 0) {
      const why = run.error?.message ?? `exit ${run.status}: ${lastLines(run.stderr || run.stdout)}`;
      return { ok: false, reason: `apt-get ${args.join(' ')} failed (${why}), so ${path} is missing` };
    }
  }
  if (!existsSync(path))
    return { ok: false, reason: `apt-get installed chromium but ${path} is still missing` };
  return { ok: true, executablePath: path, installedNow: true };
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ');
}
