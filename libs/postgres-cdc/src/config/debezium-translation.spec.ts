import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@sluice/errors';
import { sourcePostgresConnector } from '../connector/source-postgres-connector';
import { DEBEZIUM_POSTGRES_CONNECTOR, translateDebeziumConfig } from './debezium-translation';

/** A connector as users post it to Kafka Connect's REST API. */
const connector = {
  name: 'inventory',
  config: {
    'connector.class': DEBEZIUM_POSTGRES_CONNECTOR,
    'tasks.max': '1',
    'database.hostname': 'db.internal',
    'database.port': '5432',
    'database.user': 'debezium',
    'database.password': '${PG_PASSWORD}',
    'database.dbname': 'inventory',
    'database.sslmode': 'verify-full',
    'topic.prefix': 'shop',
    'plugin.name': 'pgoutput',
    'slot.name': 'shop_slot',
    'publication.autocreate.mode': 'filtered',
    'schema.include.list': 'billing',
    'table.include.list': 'public\\.orders,public\\.customer_.*',
    'column.exclude.list': 'public.customers.ssn',
    'message.key.columns': 'public.events:tenant_id,id',
    'skipped.operations': 'none',
    'event.processing.failure.handling.mode': 'warn',
    'extended.headers.enabled': 'true',
    'decimal.handling.mode': 'string',
    'binary.handling.mode': 'base64-url-safe',
    'snapshot.mode': 'no_data',
    'tombstones.on.delete': 'false',
    'provide.transaction.metadata': 'true',
    'heartbeat.interval.ms': '5000',
    'signal.data.collection': 'public.debezium_signal',
    'key.converter': 'io.confluent.connect.avro.AvroConverter',
    'value.converter': 'io.confluent.connect.avro.AvroConverter',
    'value.converter.schema.registry.url': 'http://registry:8081',
    transforms: 'unwrap',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'time.precision.mode': 'connect',
    'datatype.propagate.source.type': '.+\\.NUMERIC,public\\.orders\\.varchar',
    'table.whitelist.extra': 'x',
  },
};

describe('translateDebeziumConfig', () => {
  it('translates every setting with a Sluice equivalent into a valid source-postgres configuration', () => {
    const { config } = translateDebeziumConfig(connector);
    assert.deepEqual(config, {
      topicPrefix: 'shop',
      postgres: {
        host: 'db.internal',
        port: 5432,
        user: 'debezium',
        password: '${PG_PASSWORD}',
        database: 'inventory',
        ssl: { mode: 'verify-full' },
      },
      slot: { name: 'shop_slot' },
      publication: { autocreate: 'filtered' },
      tables: {
        include: ['billing.*', 'public.orders', 'public.customer_*'],
        keyColumns: 'public.events:tenant_id,id',
      },
      columns: {
        exclude: ['public.customers.ssn'],
        propagateSourceDataTypes: ['*.*.NUMERIC', 'public.orders.varchar'],
      },
      events: {
        skippedOperations: 'none',
        processingFailureHandlingMode: 'warn',
        extendedHeaders: true,
        tombstonesOnDelete: false,
        transactionMetadata: true,
      },
      types: {
        decimalHandlingMode: 'string',
        binaryHandlingMode: 'base64-url-safe',
        timePrecisionMode: 'connect',
      },
      snapshot: { mode: 'never' },
      heartbeat: { intervalMs: 5000 },
      signals: { table: 'public.debezium_signal' },
      registry: { url: 'http://registry:8081' },
    });
    // What the app would accept at start (verify-full needs no CA: Node's roots).
    const parsed = sourcePostgresConnector.configSchema.safeParse(config);
    assert.equal(parsed.success, true, JSON.stringify(parsed.error?.issues));
  });

  it('lists what it does not translate, each with the reason; notes the regular expressions it rewrote', () => {
    const { untranslated, notes } = translateDebeziumConfig(connector);
    const reasons = Object.fromEntries(untranslated.map((u) => [u.key, u.reason]));
    assert.match(reasons['transforms.unwrap.type']!, /unwrap step/);
    assert.match(reasons['value.converter']!, /Avro with the schema registry/);
    assert.equal(reasons['time.precision.mode'], undefined);
    assert.match(reasons['table.whitelist.extra']!, /no Sluice equivalent/);
    assert.match(reasons['tasks.max']!, /one task/);
    assert.equal(reasons['database.hostname'], undefined);
    assert.ok(notes.some((n) => n.includes('public\\.customer_.* became the pattern public.customer_*')));
    assert.ok(notes.some((n) => n.includes('kafka.brokers')));
  });

  it('bad input: a regular expression beyond names and .*, an unknown mode, a literal password, another connector', () => {
    const { config, untranslated, notes } = translateDebeziumConfig({
      'table.include.list': 'public\\.(orders|items)',
      'snapshot.mode': 'always',
      'database.port': 'five',
      'tombstones.on.delete': 'yes',
      'database.password': 'hunter2',
    });
    const reasons = Object.fromEntries(untranslated.map((u) => [u.key, u.reason]));
    assert.match(reasons['table.include.list']!, /not a plain name or \.\* wildcard/);
    assert.match(reasons['snapshot.mode']!, /takes initial, never, when_needed, initial_only/);
    assert.match(reasons['database.port']!, /whole number/);
    assert.match(reasons['tombstones.on.delete']!, /true or false/);
    assert.deepEqual(config, { postgres: { password: 'hunter2' } });
    assert.ok(notes.some((n) => /literal/.test(n)));
    assert.ok(notes.some((n) => /no topic.prefix/.test(n)));

    assert.throws(
      () =>
        translateDebeziumConfig({
          config: { 'connector.class': 'io.debezium.connector.mysql.MySqlConnector' },
        }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /only io\.debezium\.connector\.postgresql\.PostgresConnector/.test(e.message),
    );
    assert.throws(() => translateDebeziumConfig([1, 2], 'c.json'), /c\.json: expected a JSON object/);
    assert.throws(
      () => translateDebeziumConfig({ 'slot.name': { nested: 1 } }),
      /slot\.name is not a string/,
    );
  });
});
