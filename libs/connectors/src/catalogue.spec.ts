import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configReferenceMarkdown, loadConfigFile } from '@sluice/config';
import { parse, parseAllDocuments } from 'yaml';
import { CONNECTORS, connectorNamed, connectorsFitting } from './catalogue';
import { planTwoWaySync } from './sync/two-way-sync-plan';

const ROOT = join(__dirname, '..', '..', '..', '..');
const SHARED = new Set(['kafka', 'registry', 'http', 'logging', 'tracing']);

describe('the connector catalogue', () => {
  it('names each connector once, with its own port', () => {
    const names = CONNECTORS.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
    const ports = CONNECTORS.map((c) => c.port);
    assert.deepEqual(ports, [...new Set(ports)]);
    assert.equal(connectorNamed('sink-http')?.kind, 'sink');
    assert.equal(connectorNamed('no-such-connector'), undefined);
  });

  it("each connector's doc carries the current table of its configuration schema", () => {
    for (const connector of CONNECTORS) {
      const doc = readFileSync(join(ROOT, connector.doc), 'utf8');
      const generated = configReferenceMarkdown(connector.configSchema);
      assert.ok(
        doc.includes(`<!-- config:start -->\n${generated}\n<!-- config:end -->`),
        `${connector.doc}: the configuration table differs from ${connector.name}'s schema; run npm run build && node scripts/config-docs.js`,
      );
    }
  });

  it('liveness is a setting of the connectors with a progress watchdog only; the others refuse it, naming it', () => {
    const watched = CONNECTORS.filter((c) => 'liveness' in c.configSchema.shape).map((c) => c.name);
    assert.deepEqual(watched.sort(), ['sink-http', 'sink-postgres', 'source-postgres', 'transformer']);
    for (const connector of CONNECTORS.filter((c) => !watched.includes(c.name))) {
      const result = connector.configSchema.safeParse({ liveness: { stallAfterMs: 60_000 } });
      assert.ok(
        !result.success &&
          result.error.issues.some((i) => i.code === 'unrecognized_keys' && i.keys.includes('liveness')),
        `${connector.name} accepted liveness, which it has no watchdog for`,
      );
    }
  });

  it('finds the one connector a configuration document fits, by its settings', () => {
    const fit = (doc: Record<string, unknown>) => connectorsFitting(doc).map((c) => c.name);
    assert.deepEqual(fit({ pipeline: 'p.yaml' }), ['transformer']);
    assert.deepEqual(fit({ topics: ['a'], target: { database: 'x' } }), ['sink-postgres']);
    assert.deepEqual(fit({ group: 'g', topics: ['a'], destinations: [] }), ['sink-http']);
    assert.deepEqual(fit({ topicPrefix: 'app', tables: { include: ['public.a'] } }), ['source-postgres']);
    // An unknown key fits nothing: connector configurations are strict.
    assert.deepEqual(fit({ pipeline: 'p.yaml', colour: 'blue' }), []);
  });

  it("every connector configuration in examples/ loads with its connector's schema", () => {
    const dirs = ['examples', 'examples/demo', 'examples/demo/webhooks'];
    const loaded: string[] = [];
    for (const dir of dirs)
      for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.yaml'))) {
        const path = join(ROOT, dir, file);
        const fitting = connectorsFitting(parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
        assert.ok(fitting.length <= 1, `${dir}/${file} fits ${fitting.map((c) => c.name).join(' and ')}`);
        if (fitting.length === 0) continue; // a pipeline or the schema registry
        // Secrets are not set here: an unset ${VAR} reads as a placeholder.
        loadConfigFile(fitting[0]!.configSchema, path, { env: {}, unset: 'placeholder' });
        loaded.push(`${dir}/${file}: ${fitting[0]!.name}`);
      }
    assert.ok(loaded.includes('examples/source-http-poll.yaml: source-http-poll'), loaded.join('\n'));
    assert.ok(loaded.includes('examples/source-webhook.yaml: source-webhook'), loaded.join('\n'));
  });

  it("every YAML block in the docs parses, and each whole connector configuration loads with its connector's schema", () => {
    const docs = [
      'README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'sluice-doc-yaml-'));
    const loaded: string[] = [];
    let blocks = 0;
    for (const doc of docs) {
      const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
      for (let at = 0; at < lines.length; at++) {
        if (lines[at]!.trim() !== '```yaml') continue;
        const end = lines.findIndex((line, i) => i > at && line.trim() === '```');
        const where = `${doc}:${at + 1}`;
        const text = lines.slice(at + 1, end).join('\n');
        blocks++;
        parseAllDocuments(text).forEach((part, n) => {
          assert.deepEqual(part.errors.map(String), [], `${where}: YAML error`);
          const value = part.toJS() as unknown;
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
          if ('sites' in value) {
            // A `sluice sync plan` document: it plans (secrets as placeholders).
            planTwoWaySync(parse(part.toString().replace(/\$\{\w+\}/g, 'placeholder')), where);
            loaded.push(`${where}: sync plan`);
            return;
          }
          // Only the shared sections (a --kafka-config file, say) fit any connector: not a whole one.
          if (Object.keys(value).every((key) => SHARED.has(key))) return;
          const fitting = connectorsFitting(value as Record<string, unknown>);
          // A section alone (`tables:`) also fits a connector whose other settings all default:
          // only a connector's own doc, or the two-way sync doc's per-app files, hold whole ones.
          if (fitting.length !== 1 || ![fitting[0]!.doc, 'docs/two-way-sync.md'].includes(doc)) return;
          const file = join(dir, `block-${blocks}-${n}.yaml`);
          writeFileSync(file, part.toString());
          loadConfigFile(fitting[0]!.configSchema, file, { env: {}, unset: 'placeholder' });
          loaded.push(`${where}: ${fitting[0]!.name}`);
        });
        at = end;
      }
    }
    assert.ok(blocks > 20, `only ${blocks} YAML blocks found`);
    // The two-way sync doc's per-app example (a YAML error and a refused plan before).
    assert.ok(loaded.includes('docs/two-way-sync.md:35: source-postgres'), loaded.join('\n'));
    assert.ok(loaded.includes('docs/two-way-sync.md:35: sink-postgres'), loaded.join('\n'));
    assert.ok(loaded.includes('docs/two-way-sync.md:257: sync plan'), loaded.join('\n'));
  });
});
