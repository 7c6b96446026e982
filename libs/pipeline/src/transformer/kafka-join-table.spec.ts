import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type KafkaConfig } from '@sluice/kafka';
import { type Logger, metricsExposition } from '@sluice/observability';
import { type SchemaRegistryClient } from '@sluice/schema';
import { type TableTopicRecord } from '@sluice/stream';
import { KafkaJoinTable } from './kafka-join-table';

describe('KafkaJoinTable', () => {
  it('a table record with a null key is left out of the table, warned (once per partition) with its partition and offset, and counted', async () => {
    const warnings: unknown[][] = [];
    const debugs: unknown[][] = [];
    const logger = {
      warn: (...args: unknown[]) => warnings.push(args),
      debug: (...args: unknown[]) => debugs.push(args),
    } as unknown as Logger;
    const table = new KafkaJoinTable(
      { topic: 'demo.keyless', global: true, graceMs: 0, catchUpTimeoutMs: 1_000, label: 'steps[1].join' },
      { kafka: {} as KafkaConfig, registry: {} as SchemaRegistryClient, keyFormat: 'bytes', logger },
    );
    // What its TableTopicFollower hands it for each record of the table topic.
    const apply = (record: TableTopicRecord) => table['applyRecord'](record);
    await apply({
      partition: 2,
      offset: 41n,
      timestamp: 1_700_000_000_000,
      key: null,
      value: Buffer.from('row'),
    });
    assert.deepEqual(warnings, [
      [
        { table: 'demo.keyless', partition: 2, offset: '41' },
        'steps[1].join: a record of the table topic has a null key; it is left out of the table',
      ],
    ]);
    // The next of the same partition and reason at debug: a restore reads them all again.
    await apply({ partition: 2, offset: 42n, timestamp: 1_700_000_000_000, key: null, value: null });
    assert.equal(warnings.length, 1);
    assert.equal(debugs.length, 1);
    assert.equal(table.skippedRecords, 2);
    const { body } = await metricsExposition();
    assert.match(
      body,
      /sluice_join_table_skipped_records_total\{table="demo.keyless",reason="null_key"\} 2\n/,
    );
  });
});
