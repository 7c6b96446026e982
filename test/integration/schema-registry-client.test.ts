// The registry as Confluent clients see it: @kafkajs/confluent-schema-registry registers, looks
// up, encodes and decodes against it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  createTestDatabase,
  recordSchema,
  startRegistry,
  type TestDatabase,
} from './schema-registry-harness';

describe('schema registry with the kafkajs Confluent client', () => {
  let db: TestDatabase;
  let registry: SchemaRegistry;
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    db = await createTestDatabase('registry_client');
    const app = await startRegistry(db.name);
    close = app.close;
    url = app.url;
    registry = new SchemaRegistry({ host: url });
  });

  after(async () => {
    await close?.();
    await db?.drop();
  });

  it('registers, finds ids and round-trips records in the Confluent wire format', async () => {
    const schema = recordSchema('Order', [
      { name: 'id', type: 'long' },
      { name: 'total', type: 'double' },
    ]);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: 'orders-value' });
    assert.ok(id > 0);
    assert.equal(await registry.getLatestSchemaId('orders-value'), id);
    assert.equal(await registry.getRegistryId('orders-value', 1), id);
    assert.equal(await registry.getRegistryIdBySchema('orders-value', { type: SchemaType.AVRO, schema }), id);

    const encoded = await registry.encode(id, { id: 42, total: 9.5 });
    assert.equal(encoded[0], 0);
    assert.equal(encoded.readInt32BE(1), id);
    // a fresh client has no cache: it must fetch the schema by id
    const fresh = new SchemaRegistry({ host: url });
    assert.deepEqual({ ...(await fresh.decode(encoded)) }, { id: 42, total: 9.5 });
  });

  it('registers a compatible evolution and refuses an incompatible one', async () => {
    const v1 = recordSchema('Customer', [{ name: 'id', type: 'long' }]);
    const v2 = recordSchema('Customer', [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string', default: '' },
    ]);
    const bad = recordSchema('Customer', [{ name: 'id', type: 'string' }]);
    const first = await registry.register(
      { type: SchemaType.AVRO, schema: v1 },
      { subject: 'customers-value' },
    );
    const second = await registry.register(
      { type: SchemaType.AVRO, schema: v2 },
      { subject: 'customers-value' },
    );
    assert.notEqual(first.id, second.id);
    assert.equal(await registry.getLatestSchemaId('customers-value'), second.id);
    await assert.rejects(
      registry.register({ type: SchemaType.AVRO, schema: bad }, { subject: 'customers-value' }),
      (err: Error) => /incompatible/i.test(err.message),
    );
    // the client set the subject's level on first registration, as it does against Confluent
    const decoded = await registry.decode(await registry.encode(second.id, { id: 7, name: 'Ada' }));
    assert.deepEqual({ ...decoded }, { id: 7, name: 'Ada' });
  });

  it('reports an unknown schema id as an error', async () => {
    const bogus = Buffer.from([0, 0x7f, 0xff, 0xff, 0xfe, 2]);
    await assert.rejects(registry.decode(bogus), /not found|40403/i);
  });
});
