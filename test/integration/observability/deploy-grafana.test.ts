// deploy/grafana: the alert rules pass `promtool check rules` and their unit tests (`promtool test
// rules`, Debian's prometheus package); the dashboard is valid JSON whose every query, like every
// rule, names only series that docs/metrics.md documents, and docs/metrics.md documents every
// series the code declares.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PrometheusPart, stackLayout } from '@sluice/stack';
import { PROJECT_ROOT } from './observability-harness';

const GRAFANA = join(PROJECT_ROOT, 'deploy', 'grafana');
const SERIES = /\bsluice_[a-z0-9_]+/g;
const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

function promtool(...args: string[]): string {
  const result = spawnSync('promtool', args, { cwd: GRAFANA, encoding: 'utf8' });
  if (result.error)
    throw new Error(`promtool not found (Debian's prometheus package has it): ${result.error.message}`);
  assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const documented = new Set(readFileSync(join(PROJECT_ROOT, 'docs', 'metrics.md'), 'utf8').match(SERIES));
const base = (name: string) => name.replace(HISTOGRAM_SUFFIX, '');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts')) out.push(full);
  }
  return out;
}

describe('deploy/grafana', () => {
  before(() => new PrometheusPart(stackLayout(PROJECT_ROOT), () => undefined).ensureInstalled());

  it('alert rules are valid and their unit tests pass', () => {
    assert.match(promtool('check', 'rules', 'alerts.yml'), /SUCCESS: 6 rules found/);
    assert.match(promtool('test', 'rules', 'alerts.test.yml'), /SUCCESS/);
  });

  it('the dashboard and the rules use documented series only', () => {
    const dashboard = JSON.parse(readFileSync(join(GRAFANA, 'sluice-dashboard.json'), 'utf8')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const needed of ['throughput', 'lag', 'latency p50 / p99', 'dead letters', 'errors', 'circuit'])
      assert.ok(titles.includes(needed), `a panel for ${needed}`);
    const used = [
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(SERIES) ?? [])),
      ...(readFileSync(join(GRAFANA, 'alerts.yml'), 'utf8').match(SERIES) ?? []),
    ];
    for (const name of used) assert.ok(documented.has(base(name)), `${name} is in docs/metrics.md`);
  });

  it('docs/metrics.md documents every series the code declares', () => {
    const declared = sourceFiles(join(PROJECT_ROOT, 'libs'))
      .concat(sourceFiles(join(PROJECT_ROOT, 'apps')))
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/name: '(sluice_[a-z0-9_]+)'/g)].map((m) => m[1]!),
      );
    assert.ok(declared.length >= 15, `found the declarations (${declared.length})`);
    for (const name of declared) assert.ok(documented.has(name), `${name} is documented in docs/metrics.md`);
  });
});
