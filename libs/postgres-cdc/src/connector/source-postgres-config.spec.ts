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

  it("defaults Debezium's options to Debezium's defaults (truncates skipped), partitions via the root", () => {
    const config = parseConfig(sourceAppConfigSchema, {}, { env: {} });
    assert.deepEqual(config.events.skippedOperations, ['t']);
    assert.equal(config.events.processingFailureHandlingMode, 'fail');
    assert.equal(config.events.extendedHeaders, false);
    assert.deepEqual(config.types, {
      timePrecisionMode: 'adaptive',
      binaryHandlingMode: 'bytes',
      decimalHandlingMode: 'precise',
      hstoreHandlingMode: 'json',
      intervalHandlingMode: 'numeric',
      moneyFractionDigits: 2,
      includeUnknownDatatypes: false,
    });
    assert.deepEqual(config.tables.keyColumns, []);
    assert.deepEqual(config.columns.propagateSourceType, []);
    assert.equal(config.publication.viaPartitionRoot, true);
  });

  it("accepts Debezium's value forms: skipped.operations 'none' or 'c, d', message.key.columns text or a map", () => {
    const parse = (yaml: object) => parseConfig(sourceAppConfigSchema, yaml, { env: {} });
    assert.deepEqual(parse({ events: { skippedOperations: 'none' } }).events.skippedOperations, []);
    assert.deepEqual(parse({ events: { skippedOperations: 'c, d' } }).events.skippedOperations, ['c', 'd']);
    assert.deepEqual(parse({ events: { skippedOperations: ['u'] } }).events.skippedOperations, ['u']);
    assert.deepEqual(
      parse({ tables: { keyColumns: 'public.orders:id,code; sales.*:sku' } }).tables.keyColumns,
      [
        { table: 'public.orders', columns: ['id', 'code'] },
        { table: 'sales.*', columns: ['sku'] },
      ],
    );
    assert.deepEqual(parse({ tables: { keyColumns: 'inventory\\.orders:id' } }).tables.keyColumns, [
      { table: 'inventory.orders', columns: ['id'] },
    ]);
    assert.deepEqual(parse({ tables: { keyColumns: { 'public.orders': ['code'] } } }).tables.keyColumns, [
      { table: 'public.orders', columns: ['code'] },
    ]);
  });

  it("keeps the source's settings first, then the shared ones, as docs/source-postgres.md lists them", () => {
    assert.deepEqual(Object.keys(sourceAppConfigSchema.shape), [
      'topicPrefix',
      'postgres',
      'slot',
      'publication',
      'tables',
      'columns',
      'types',
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
    [{ events: { skippedOperations: 'c,x' } }, 'events.skippedOperations'],
    [{ events: { skippedOperations: ['truncate'] } }, 'events.skippedOperations'],
    [{ tables: { keyColumns: 'public.orders' } }, 'tables.keyColumns'],
    [{ tables: { keyColumns: 'orders:id' } }, 'tables.keyColumns'],
    [{ tables: { keyColumns: { 'public.orders': [] } } }, 'tables.keyColumns'],
    [{ types: { decimalHandlingMode: 'exact' } }, 'types.decimalHandlingMode'],
    [{ types: { hstoreHandlingMode: 'object' } }, 'types.hstoreHandlingMode'],
    [{ types: { intervalHandlingMode: 'iso' } }, 'types.intervalHandlingMode'],
    [{ types: { binaryHandlingMode: 'base32' } }, 'types.binaryHandlingMode'],
    [{ types: { timePrecisionMode: 'nanos' } }, 'types.timePrecisionMode'],
    [{ events: { processingFailureHandlingMode: 'ignore' } }, 'events.processingFailureHandlingMode'],
    [{ events: { extendedHeaders: 'sometimes' } }, 'events.extendedHeaders'],
    [{ types: { includeUnknownDatatypes: 'maybe' } }, 'types.includeUnknownDatatypes'],
    [{ types: { moneyFractionDigits: -1 } }, 'types.moneyFractionDigits'],
    [{ columns: { propagateSourceType: ['orders.id'] } }, 'columns.propagateSourceType[0]'],
    [{ columns: { propagateSourceDataTypes: ['numeric'] } }, 'columns.propagateSourceDataTypes[0]'],
    [{ publication: { viaPartitionRoot: 'yes please' } }, 'publication.viaPartitionRoot'],
  ] as const) {
    it(`names ${path} when it is malformed`, () => {
      assert.throws(
        () => parseConfig(sourceAppConfigSchema, yaml, { env: {} }),
        (err: unknown) => err instanceof ConfigError && err.path === path,
      );
    });
  }
});
