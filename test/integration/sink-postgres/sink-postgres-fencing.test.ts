// Zombie fencing of the sink's delivery against the real target database: the owner that claimed a
// partition last is the only one whose checkpoint commits; a former owner's transaction rolls back
// with PartitionFencedError and writes nothing; a claim waits for a checkpoint in flight and then
// reads the offset it committed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { ensureBookkeeping, PartitionFencedError, PostgresSinkDelivery } from '@sluice/sink-postgres';
import { stackAddresses, uniqueName } from '@sluice/test-support';

describe('sink-postgres partition fencing', { timeout: 60_000 }, () => {
  const schema = uniqueName('it_sinkpg_fence').replace(/[^a-z0-9_]/g, '_');
  const pool = new Pool({ ...stackAddresses().postgres, database: 'sink', max: 6 });
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({ brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-sink-fence' }),
  );
  const tp = { topic: 'orders', partition: 0 };
  const deliveries: PostgresSinkDelivery[] = [];

  const delivery = async (): Promise<PostgresSinkDelivery> => {
    const books = await ensureBookkeeping(pool, schema);
    const counters = { rowsUpserted: 0, rowsDeleted: 0, conflicts: 0, rowsRefused: 0, batchesCommitted: 0 };
    const made = new PostgresSinkDelivery({
      pool,
      books,
      group: 'g',
      kafka,
      lww: true,
      counters,
      maxAttempts: 1,
    });
    await made.start();
    deliveries.push(made);
    return made;
  };
  const stored = async () =>
    (
      await pool.query<{ next_offset: string | null }>(
        `SELECT next_offset FROM ${schema}.sluice_sink_offsets`,
      )
    ).rows[0]?.next_offset;

  before(async () => {
    await pool.query(`CREATE SCHEMA ${schema}`);
  });

  after(async () => {
    for (const d of deliveries) await d.stop();
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  it('refuses the checkpoint of an owner whose partition was claimed since', async () => {
    const zombie = (await delivery()).forPartition(tp);
    assert.equal(await zombie.startingOffset!(), undefined);
    await zombie.begin();
    await zombie.checkpoint(10n);
    assert.equal(await stored(), '10');

    const next = (await delivery()).forPartition(tp);
    assert.equal(await next.startingOffset!(), 10n);
    await zombie.begin();
    await assert.rejects(zombie.checkpoint(20n), PartitionFencedError);
    assert.equal(await stored(), '10', "the former owner's batch wrote nothing");

    await next.begin();
    await next.checkpoint(15n);
    assert.equal(await stored(), '15');
  });

  it('a claim waits for a checkpoint in flight and reads what it committed', async () => {
    const owner = (await delivery()).forPartition(tp);
    await owner.startingOffset!();
    // Hold the offsets row as a checkpoint in flight does (its first statement locks it).
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query(`UPDATE ${schema}.sluice_sink_offsets SET next_offset = 30 WHERE group_id = 'g'`);
    const claim = (await delivery()).forPartition(tp).startingOffset!();
    const early = await Promise.race([
      claim.then(() => 'claimed'),
      new Promise((r) => setTimeout(() => r('waiting'), 300)),
    ]);
    assert.equal(early, 'waiting');
    await client.query('COMMIT');
    client.release();
    assert.equal(await claim, 30n);
    await owner.begin();
    await assert.rejects(owner.checkpoint(40n), PartitionFencedError);
  });
});
