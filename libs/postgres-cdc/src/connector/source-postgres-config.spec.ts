import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sourcePostgresConnector } from './source-postgres-connector';

const sourceAppConfigSchema = sourcePostgresConnector.configSchema;

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
    assert.equal(config.kafka.clientId, 'sluice-source-postgres');
    assert.deepEqual(config.liveness, { stallAfterMs: 60_000 });
  });

  it("keeps the source's settings first, then the shared ones, as docs/source-postgres.md lists them", () => {
    assert.deepEqual(Object.keys(sourceAppConfigSchema.shape), [
      'topicPrefix',
      'postgres',
      'slot',
      'publication',
      'tables',
      'columns',
      'snapshot',
      'events',
      'signals',
      'heartbeat',
      'topics',
      'restart',
      'delivery',
      'publishing',
      'liveness',
      'kafka',
      'registry',
      'http',
      'logging',
      'tracing',
    ]);
  });

  for (const [yaml, path] of [
    [{ snapshot: { mode: 'sometimes' } }, 'snapshot.mode'],
    [{ tables: { include: ['orders'] } }, 'tables.include[0]'],
    [{ slot: { name: 'Bad-Name' } }, 'slot.name'],
    [{ columns: { mask: [{ columns: ['public.users.email'], with: 'rot13' }] } }, 'columns.mask[0].with'],
    [{ postgres: { port: 'five' } }, 'postgres.port'],
    [{ postgres: { ssl: { mode: 'verify_full' } } }, 'postgres.ssl.mode'],
    [{ postgres: { ssl: { ca: 'ca.pem' } } }, 'postgres.ssl.ca'],
    // 'hash' needs a secret salt: without one a hashed e-mail is undone by hashing a list of them.
    [{ columns: { mask: [{ columns: ['public.users.email'], with: 'hash' }] } }, 'columns.mask[0].salt'],
    [
      { columns: { mask: [{ columns: ['public.users.email'], with: 'hash', salt: 'pepper' }] } },
      'columns.mask[0].salt',
    ],
    [{ unknownSetting: true }, '(root)'],
  ] as const) {
    it(`names ${path} when it is malformed`, () => {
      assert.throws(
        () => parseConfig(sourceAppConfigSchema, yaml, { env: {} }),
        (err: unknown) => err instanceof ConfigError && err.path === path,
      );
    });
  }
});
