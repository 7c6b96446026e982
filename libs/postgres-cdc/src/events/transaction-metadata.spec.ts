import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalAvroSchema, compileAvroCodec, InMemorySchemaRegistry, unframeRecord } from '@sluice/schema';
import { Lsn } from '../lsn/lsn';
import {
  TRANSACTION_KEY_SCHEMA,
  TRANSACTION_VALUE_SCHEMA,
  TransactionMetadata,
} from './transaction-metadata';

const projectRoot = join(__dirname, '..', '..', '..', '..', '..');
const catalog = (subject: string) => readFileSync(join(projectRoot, 'schemas', subject, 'v1.avsc'), 'utf8');

describe('TransactionMetadata', () => {
  it('writes the schemas kept in schemas/sluice.transaction-*', () => {
    assert.equal(
      canonicalAvroSchema(JSON.stringify(TRANSACTION_KEY_SCHEMA)),
      canonicalAvroSchema(catalog('sluice.transaction-key')),
    );
    assert.equal(
      canonicalAvroSchema(JSON.stringify(TRANSACTION_VALUE_SCHEMA)),
      canonicalAvroSchema(catalog('sluice.transaction-value')),
    );
  });

  it('numbers events per transaction and per table, and counts them in END', async () => {
    const registry = new InMemorySchemaRegistry();
    const provisioned: string[] = [];
    const metadata = await TransactionMetadata.create('shop', registry, async (t) => {
      provisioned.push(t);
    });
    assert.deepEqual(provisioned, ['shop.transaction']);
    const tx = metadata.open(571, Lsn.parse('0/3340F58'), 1_700_000_000_123_456n);
    assert.equal(tx.empty, true);
    assert.equal(tx.id, `571:${0x3340f58}`);
    assert.deepEqual(tx.next('s1.a'), { id: tx.id, total_order: 1, data_collection_order: 1 });
    assert.deepEqual(tx.next('s2.a'), { id: tx.id, total_order: 2, data_collection_order: 1 });
    assert.deepEqual(tx.next('s1.a'), { id: tx.id, total_order: 3, data_collection_order: 2 });
    assert.equal(tx.empty, false);

    // Plain objects (avsc decodes into record classes).
    const plain = (codec: ReturnType<typeof compileAvroCodec>) => (bytes: Buffer) =>
      JSON.parse(JSON.stringify(codec.decode(unframeRecord(bytes).payload))) as unknown;
    const values = plain(compileAvroCodec(TRANSACTION_VALUE_SCHEMA));
    const keys = plain(compileAvroCodec(TRANSACTION_KEY_SCHEMA));
    const begin = tx.begin();
    const end = tx.end();
    assert.equal(begin.topic, 'shop.transaction');
    assert.deepEqual(keys(begin.key!), { id: tx.id });
    assert.deepEqual(values(begin.value!), {
      status: 'BEGIN',
      id: tx.id,
      event_count: null,
      data_collections: null,
      ts_ms: 1_700_000_000_123,
    });
    assert.deepEqual(values(end.value!), {
      status: 'END',
      id: tx.id,
      event_count: 3,
      data_collections: [
        { data_collection: 's1.a', event_count: 2 },
        { data_collection: 's2.a', event_count: 1 },
      ],
      ts_ms: 1_700_000_000_123,
    });
  });
});
