import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka } from 'kafkajs';
import { type Pool } from 'pg';
import { bookkeepingTables } from '../target/bookkeeping';
import { PostgresSinkDelivery } from './postgres-sink-delivery';

describe('PostgresSinkDelivery', () => {
  it("disconnects the admin client on stop even when the producer's disconnect failed", async () => {
    const released: string[] = [];
    const kafka = {
      producer: () => ({
        connect: async () => undefined,
        disconnect: async () => {
          released.push('producer');
          throw new Error('producer disconnect failed');
        },
      }),
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => void released.push('admin'),
      }),
    } as unknown as Kafka;
    const delivery = new PostgresSinkDelivery({
      pool: {} as Pool,
      books: bookkeepingTables('sluice'),
      group: 'g',
      kafka,
      lww: false,
      counters: { rowsUpserted: 0, rowsDeleted: 0, conflicts: 0, rowsRefused: 0, batchesCommitted: 0 },
      maxAttempts: 1,
    });
    await delivery.start();
    await assert.rejects(delivery.stop(), /^Error: producer disconnect failed$/);
    assert.deepEqual(released, ['producer', 'admin']);
  });
});
