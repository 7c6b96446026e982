import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FatalRecordError } from '@sluice/errors';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type PartitionDelivery } from '../delivery/partition-delivery';
import { ParkedKeys } from '../failure/key-parking';
import { decodeParkedMarker } from '../failure/parked-key-record';
import { parseRetryPolicy } from '../failure/retry-policy';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { type BatchParking, RecordRunner } from './record-runner';

/** Collects what the runner hands its delivery, in order. */
class RecordingDelivery implements PartitionDelivery {
  readonly written: Array<
    { kind: 'output'; record: OutputRecord } | { kind: 'kafka'; record: DeadLetterRecord }
  > = [];
  async begin(): Promise<void> {}
  async send(records: readonly OutputRecord[]): Promise<void> {
    for (const record of records) this.written.push({ kind: 'output', record });
  }
  async deadLetter(record: DeadLetterRecord): Promise<void> {
    this.written.push({ kind: 'kafka', record });
  }
  async checkpoint(): Promise<void> {}
  async abort(): Promise<void> {}
  async close(): Promise<void> {}
  topics(): string[] {
    return this.written.map((w) => w.record.topic);
  }
}

const record = (offset: bigint, value: string): StreamRecord => ({
  topic: 'in',
  partition: 3,
  offset,
  key: Buffer.from('k'),
  value: Buffer.from(value),
  headers: [],
  timestamp: '0',
});

function runner(failing: Set<string>): RecordRunner {
  return new RecordRunner({
    group: 'g',
    onKeyFailure: 'park',
    retryPolicy: parseRetryPolicy({ maxAttempts: 1 }),
    processor: {
      name: 'Step',
      process(r) {
        const value = r.value!.toString();
        if (failing.has(value)) throw new FatalRecordError(`refused ${value}`);
        return [{ topic: 'out', key: r.key, value: r.value }];
      },
    },
  });
}

describe('RecordRunner parking', () => {
  const signal = new AbortController().signal;

  it('writes the park marker right after the dead letter, and none for parked records', async () => {
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    const changes: BatchParking = { parked: [], released: [] };
    const run = runner(new Set(['v5']));
    assert.equal(await run.run(record(5n, 'v5'), signal, delivery, parked, changes), 'dead-lettered');
    assert.equal(await run.run(record(6n, 'v6'), signal, delivery, parked, changes), 'parked');
    assert.deepEqual(delivery.topics(), ['g.dlq', 'g.dlq.parked', 'g.dlq']);
    const marker = delivery.written[1].record as DeadLetterRecord;
    assert.deepEqual(decodeParkedMarker(marker.key, marker.value, 'spec'), {
      tp: { topic: 'in', partition: 3 },
      key: Buffer.from('k'),
      failedOffset: 5n,
    });
    assert.deepEqual(
      changes.parked.map((r) => r.offset),
      [5n],
    );
  });

  it('a restored park applies only after its failed offset; a redone failed record that succeeds releases the key', async () => {
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    parked.park('k', 5n); // restored from the marker topic; the source offset was not committed
    const changes: BatchParking = { parked: [], released: [] };
    const run = runner(new Set());
    assert.equal(await run.run(record(4n, 'v4'), signal, delivery, parked, changes), 'processed');
    assert.ok(parked.isParked('k'), 'an earlier record does not touch the park');
    assert.equal(await run.run(record(5n, 'v5'), signal, delivery, parked, changes), 'processed');
    assert.equal(parked.isParked('k'), false);
    assert.deepEqual(changes.released, [{ key: Buffer.from('k'), failedOffset: 5n }]);
    const tombstone = delivery.written.at(-1)!.record as DeadLetterRecord;
    assert.equal(tombstone.topic, 'g.dlq.parked');
    assert.equal(tombstone.value, null, 'the release is written with the batch');
    assert.equal(await run.run(record(6n, 'v6'), signal, delivery, parked, changes), 'processed');
  });
});
