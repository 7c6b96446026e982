import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sourceConfigSchema, type SourceConfigInput } from '../config/source-config';
import type { Relation } from '../pgoutput/pgoutput-message';
import { columnPattern, compileSourceConfig } from './compile-source-config';

const relation = (schema: string, table: string, ...columns: string[]): Relation => ({
  relationId: 1,
  schema,
  table,
  replicaIdentity: 'default',
  columns: columns.map((name, index) => ({ index, name, typeOid: 25, typeModifier: -1, isKey: index === 0 })),
});

const compile = (input: SourceConfigInput) => compileSourceConfig(sourceConfigSchema.parse(input));

describe('compileSourceConfig', () => {
  it("hands Debezium's type modes, key columns and propagated columns to each table's schema", () => {
    const { schemaOptions, keyColumnsOf } = compile({
      tables: { keyColumns: 'public.orders:code,id;public.*:id' },
      columns: { propagateSourceType: ['public.orders.c*'] },
      types: { decimalHandlingMode: 'string', intervalHandlingMode: 'string', includeUnknownDatatypes: true },
    });
    const orders = schemaOptions(relation('public', 'orders', 'id', 'code', 'cost', 'note'));
    assert.deepEqual(orders.keyColumns, ['code', 'id']);
    assert.equal(orders.moneyFractionDigits, 2);
    assert.deepEqual([...orders.propagateSourceType!], ['code', 'cost']);
    assert.deepEqual(orders.types, {
      decimalMode: 'string',
      hstoreMode: 'json',
      intervalMode: 'string',
      includeUnknownDatatypes: true,
      binaryMode: 'bytes',
      timePrecisionMode: 'adaptive',
    });
    assert.deepEqual(schemaOptions(relation('public', 'items', 'id')).keyColumns, ['id']);
    assert.equal(schemaOptions(relation('sales', 'items', 'id')).keyColumns, undefined);
    assert.deepEqual(keyColumnsOf({ schema: 'public', table: 'orders' }), ['code', 'id']);
    assert.equal(keyColumnsOf({ schema: 'sales', table: 'orders' }), undefined);
  });

  it('propagateSourceDataTypes: schema.table.type patterns, the type matched without regard to case', () => {
    const { schemaOptions } = compile({
      columns: { propagateSourceDataTypes: ['*.*.NUMERIC', 'shop.orders.varchar'] },
    });
    const orders = schemaOptions(relation('Shop', 'orders', 'id')).propagateSourceDataType!;
    assert.equal(orders('NUMERIC'), true);
    assert.equal(orders('numeric'), true);
    assert.equal(orders('VARCHAR'), true, 'shop.orders.varchar: schema and table without regard to case too');
    assert.equal(orders('TEXT'), false);
    assert.equal(schemaOptions(relation('public', 'items', 'id')).propagateSourceDataType!('VARCHAR'), false);
    assert.equal(
      compile({}).schemaOptions(relation('public', 'items', 'id')).propagateSourceDataType,
      undefined,
    );
  });

  it('excludes and masks the columns the patterns match, on the tables they match', () => {
    const { schemaOptions } = compile({
      topicPrefix: 'cdc',
      postgres: { database: 'shop' },
      columns: {
        exclude: ['public.customers.secret_*', '*.*.internal'],
        mask: [
          { columns: ['public.customers.email'], with: 'hash', salt: 's-secret-16-chars' },
          { columns: ['public.*.phone'], with: 'stars', length: 4 },
        ],
      },
    });
    const customers = schemaOptions(
      relation('public', 'customers', 'id', 'email', 'phone', 'secret_a', 'internal', 'name'),
    );
    assert.deepEqual([...customers.excludedColumns!], ['secret_a', 'internal']);
    assert.deepEqual(
      [...customers.maskedColumns!],
      [
        ['email', { kind: 'hash', algorithm: 'SHA-256', key: 's-secret-16-chars' }],
        ['phone', { kind: 'chars', length: 4 }],
      ],
    );
    assert.equal(customers.topicPrefix, 'cdc');
    assert.equal(customers.database, 'shop');
    assert.equal(customers.unavailableValuePlaceholder, '__debezium_unavailable_value');

    const orders = schemaOptions(relation('sales', 'orders', 'id', 'email', 'secret_a', 'internal'));
    assert.deepEqual([...orders.excludedColumns!], ['internal']);
    assert.equal(orders.maskedColumns!.size, 0);
  });

  it('a column two rules mask takes the later rule', () => {
    const { schemaOptions } = compile({
      columns: {
        mask: [
          { columns: ['public.t.*'], with: 'stars' },
          { columns: ['public.t.email'], with: 'hash', salt: 'a-secret-of-16-chars' },
        ],
      },
    });
    const masked = schemaOptions(relation('public', 't', 'id', 'email')).maskedColumns!;
    assert.deepEqual(masked.get('id'), { kind: 'chars', length: 8 });
    assert.deepEqual(masked.get('email'), {
      kind: 'hash',
      algorithm: 'SHA-256',
      key: 'a-secret-of-16-chars',
    });
  });

  it('the connection and the signal table come from their settings', () => {
    const compiled = compile({
      postgres: { host: 'db', port: 5432, user: 'u', password: 'p', database: 'd', connectTimeoutMs: 7 },
      signals: { table: 'ops.signals' },
    });
    assert.deepEqual(compiled.connection, {
      host: 'db',
      port: 5432,
      user: 'u',
      password: 'p',
      database: 'd',
      connectTimeoutMs: 7,
      ssl: false,
    });
    assert.deepEqual(compiled.signals?.table.name, { schema: 'ops', table: 'signals' });
    assert.equal(compile({}).signals, undefined);
  });

  it('carries the TLS options postgresTlsOptions made (files already read) to the connection', () => {
    const config = sourceConfigSchema.parse({ postgres: { ssl: { mode: 'require' } } });
    const ssl = { rejectUnauthorized: false };
    assert.deepEqual(compileSourceConfig(config, ssl).connection.ssl, ssl);
  });
});

describe('columnPattern', () => {
  it('matches schema, table and column, * as any run of characters, other characters literally', () => {
    const card = columnPattern('public.order_*.card_no');
    assert.equal(card({ schema: 'public', table: 'order_lines' }, 'card_no'), true);
    assert.equal(card({ schema: 'public', table: 'orders' }, 'card_no'), false);
    assert.equal(card({ schema: 'public', table: 'order_lines' }, 'card_no2'), false);
    const dotted = columnPattern('public.t.a+b');
    assert.equal(dotted({ schema: 'public', table: 't' }, 'a+b'), true);
    assert.equal(dotted({ schema: 'public', table: 't' }, 'aab'), false);
  });
});
