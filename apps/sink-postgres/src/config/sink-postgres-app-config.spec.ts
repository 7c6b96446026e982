import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  configReferenceMarkdown,
  loadConfigFile,
  parseConfig,
  replaceGeneratedSection,
} from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sinkPostgresAppConfigSchema, sinkRuntimeConfig } from './sink-postgres-app-config';

const root = join(__dirname, '..', '..', '..', '..', '..');

describe('sink-postgres configuration', () => {
  it('defaults every setting but the topics to the local stack', () => {
    const config = parseConfig(
      sinkPostgresAppConfigSchema,
      { topics: ['sluice.public.orders'] },
      { env: {} },
    );
    assert.equal(config.target.port, 5433);
    assert.equal(config.target.database, 'sink');
    assert.equal(config.target.schema, 'public');
    assert.equal(config.conflicts, 'lww');
    assert.equal(config.history, false);
    assert.equal(config.http.port, 8103);
    assert.deepEqual(config.kafka.brokers, ['127.0.0.1:9092']);
    const runtime = sinkRuntimeConfig(config);
    assert.equal(runtime.group, 'sluice-sink-postgres');
    assert.equal(runtime.failure.onKeyFailure, 'park');
  });

  for (const [yaml, path] of [
    [{}, 'topics'],
    [{ topics: [] }, 'topics'],
    [{ topics: ['t'], conflicts: 'newest' }, 'conflicts'],
    [{ topics: ['t'], target: { schema: 'bad-name' } }, 'target.schema'],
    [{ topics: ['t'], target: { port: 'five' } }, 'target.port'],
    [{ topics: ['t'], tables: { t: { table: 'a.b.c' } } }, 'tables.t.table'],
    [{ topics: ['t'], tables: { t: { history: 'yes' } } }, 'tables.t.history'],
    [{ topics: ['t'], runtime: { onKeyFailure: 'drop' } }, 'runtime.onKeyFailure'],
    [{ topics: ['t'], unknownSetting: true }, '(root)'],
  ] as const) {
    it(`names ${path} when it is malformed`, () => {
      assert.throws(
        () => parseConfig(sinkPostgresAppConfigSchema, yaml, { env: {} }),
        (err: unknown) => err instanceof ConfigError && err.path === path,
      );
    });
  }

  it('accepts examples/sink-postgres.yaml', () => {
    const config = loadConfigFile(sinkPostgresAppConfigSchema, join(root, 'examples', 'sink-postgres.yaml'), {
      env: {},
    });
    assert.deepEqual(config.topics, ['sluice.public.orders']);
    assert.deepEqual(config.tables['sluice.public.orders'], { table: 'public.orders', history: true });
    assert.equal(config.http.port, 8103);
  });

  it('is documented by the generated table in docs/sink-postgres.md', () => {
    const doc = readFileSync(join(root, 'docs', 'sink-postgres.md'), 'utf8');
    const fresh = replaceGeneratedSection(doc, configReferenceMarkdown(sinkPostgresAppConfigSchema));
    assert.equal(
      doc,
      fresh,
      'docs/sink-postgres.md is stale: run `node scripts/config-docs.js` after a build',
    );
  });
});
