import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReferenceMarkdown, parseConfig, replaceGeneratedSection } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sourceAppConfigSchema } from './source-app-config';

const root = join(__dirname, '..', '..', '..', '..', '..');

describe('source-postgres configuration', () => {
  it('defaults every setting to the local stack', () => {
    const config = parseConfig(sourceAppConfigSchema, {}, { env: {} });
    assert.equal(config.postgres.port, 5433);
    assert.equal(config.postgres.database, 'source');
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    assert.equal(config.registry.url, 'http://127.0.0.1:8081');
    assert.equal(config.http.port, 8101);
    assert.equal(config.snapshot.mode, 'initial');
    assert.deepEqual(config.tables.include, ['public.*']);
    assert.equal(config.events.unavailableValuePlaceholder, '__debezium_unavailable_value');
  });

  for (const [yaml, path] of [
    [{ snapshot: { mode: 'sometimes' } }, 'snapshot.mode'],
    [{ tables: { include: ['orders'] } }, 'tables.include[0]'],
    [{ slot: { name: 'Bad-Name' } }, 'slot.name'],
    [{ columns: { mask: [{ columns: ['public.users.email'], with: 'rot13' }] } }, 'columns.mask[0].with'],
    [{ postgres: { port: 'five' } }, 'postgres.port'],
    [{ unknownSetting: true }, '(root)'],
  ] as const) {
    it(`names ${path} when it is malformed`, () => {
      assert.throws(
        () => parseConfig(sourceAppConfigSchema, yaml, { env: {} }),
        (err: unknown) => err instanceof ConfigError && err.path === path,
      );
    });
  }

  it('is documented by the generated table in docs/source-postgres.md', () => {
    const doc = readFileSync(join(root, 'docs', 'source-postgres.md'), 'utf8');
    const fresh = replaceGeneratedSection(doc, configReferenceMarkdown(sourceAppConfigSchema));
    assert.equal(
      doc,
      fresh,
      'docs/source-postgres.md is stale: run `node scripts/config-docs.js` after a build',
    );
  });
});
