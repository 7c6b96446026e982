import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Kafka } from 'kafkajs';
import { TransactionCoordinator } from './transaction-coordinator';

/** A fake transactional kafkajs producer whose disconnect never settles, as kafkajs's can after a broker restart. */
class StuckOnDisconnect {
  disconnects = 0;
  readonly sends: unknown[] = [];
  constructor(private readonly sendFails: boolean) {}
  async connect(): Promise<void> {}
  disconnect(): Promise<void> {
    this.disconnects += 1;
    return new Promise(() => undefined);
  }
  async transaction() {
    return {
      sendBatch: async (batch: unknown) => {
        this.sends.push(batch);
        if (this.sendFails) throw new Error('Connection closed');
      },
      abort: async () => undefined,
    };
  }
}

describe('TransactionCoordinator', () => {
  it('replaces a producer after a failed send without waiting for its disconnect', async () => {
    const made: StuckOnDisconnect[] = [];
    const kafka = {
      producer: () => {
        const producer = new StuckOnDisconnect(made.length === 0);
        made.push(producer);
        return producer;
      },
    } as unknown as Kafka;
    const coordinator = new TransactionCoordinator(kafka, 'g-t-0', 60_000);

    await coordinator.begin();
    await assert.rejects(
      coordinator.send([{ topic: 'out', messages: [{ value: 'a' }] }]),
      /Connection closed/,
    );
    assert.equal(made[0]!.disconnects, 1, 'the failed producer was told to disconnect');
    assert.equal(coordinator.inTransaction, false);

    await coordinator.begin();
    await coordinator.send([{ topic: 'out', messages: [{ value: 'b' }] }]);
    assert.equal(made.length, 2, 'the next transaction runs on a new producer');
    assert.equal(made[1]!.sends.length, 1);
  });
});
