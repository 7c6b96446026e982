import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DependencyUnavailableError, FatalRecordError } from '@sluice/errors';
import { type DeadLetterRecord, readDeadLetterHeaders } from '../dead-letter/dead-letter-headers';
import { readRedriveHeaders, redrivenHeaders } from '../dead-letter/redrive-headers';
import { type PartitionDelivery } from '../delivery/partition-delivery';
import { ParkedKeys } from '../failure/key-parking';
import { decodeParkedMarker } from '../failure/parked-key-record';
import { parseRetryPolicy } from '../failure/retry-policy';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { type BatchParking, keptParkedLog, RecordRunner } from './record-runner';

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

describe('RecordRunner redrive of a parked key', () => {
  const signal = new AbortController().signal;
  const copy = (
    offset: bigint,
    value: string,
    of: bigint,
    mark: { id?: string; release?: bigint; parked?: bigint },
  ) => ({
    ...record(offset, value),
    headers: redrivenHeaders([], {
      id: mark.id ?? 'r1',
      of: { topic: 'in', partition: 3, offset: of },
      parked: mark.parked ?? 5n,
      ...(mark.release !== undefined
        ? { release: { failedOffset: mark.parked ?? 5n, through: mark.release } }
        : {}),
    }),
  });
  const outputs = (d: RecordingDelivery) =>
    d.written.filter((w) => w.kind === 'output').map((w) => w.record.value!.toString());

  function parkedAt5(
    run: RecordRunner,
    delivery: RecordingDelivery,
    parked: ParkedKeys,
    changes: BatchParking,
  ) {
    return (async () => {
      await run.run(record(5n, 'v5'), signal, delivery, parked, changes);
      await run.run(record(6n, 'v6'), signal, delivery, parked, changes);
      await run.run(record(7n, 'v7'), signal, delivery, parked, changes);
    })();
  }

  it('processes the copies of the sequence in order, then the release copy releases the key with a tombstone', async () => {
    const failing = new Set(['v5']);
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
    const run = runner(failing);
    await parkedAt5(run, delivery, parked, changes);
    failing.clear(); // the condition is fixed
    assert.equal(
      await run.run(record(8n, 'v8'), signal, delivery, parked, changes),
      'parked',
      'not a redrive',
    );
    assert.equal(await run.run(copy(20n, 'v5', 5n, {}), signal, delivery, parked, changes), 'processed');
    assert.equal(await run.run(copy(21n, 'v6', 6n, {}), signal, delivery, parked, changes), 'processed');
    assert.ok(parked.isParked('k'));
    assert.equal(
      await run.run(copy(22n, 'v7', 7n, { release: 8n }), signal, delivery, parked, changes),
      'processed',
    );
    assert.equal(parked.isParked('k'), false);
    assert.deepEqual(outputs(delivery), ['v5', 'v6', 'v7']);
    const tombstone = delivery.written.at(-1)!.record as DeadLetterRecord;
    assert.equal(tombstone.topic, 'g.dlq.parked');
    assert.equal(tombstone.value, null);
    assert.deepEqual(changes.released, [{ key: Buffer.from('k'), failedOffset: 5n }]);
    assert.equal(await run.run(record(23n, 'v23'), signal, delivery, parked, changes), 'processed');
  });

  it('keeps the key parked when records were parked above `through` (after the selection)', async () => {
    const failing = new Set(['v5']);
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
    const kept: bigint[][] = [];
    const logged: ReturnType<typeof keptParkedLog>[] = [];
    const run = new RecordRunner({
      group: 'g',
      onKeyFailure: 'park',
      retryPolicy: parseRetryPolicy({ maxAttempts: 1 }),
      onKeptParked: (k) => {
        kept.push([...k.parkedAfter]);
        logged.push(keptParkedLog(k));
      },
      processor: {
        name: 'Step',
        process(r) {
          if (failing.has(r.value!.toString())) throw new FatalRecordError('refused');
          return [{ topic: 'out', key: r.key, value: r.value }];
        },
      },
    });
    await parkedAt5(run, delivery, parked, changes);
    failing.clear();
    assert.equal(await run.run(record(9n, 'v9'), signal, delivery, parked, changes), 'parked');
    await run.run(copy(20n, 'v5', 5n, {}), signal, delivery, parked, changes);
    await run.run(copy(21n, 'v6', 6n, {}), signal, delivery, parked, changes);
    await run.run(copy(22n, 'v7', 7n, { release: 7n }), signal, delivery, parked, changes);
    assert.ok(parked.isParked('k'), 'v9 was parked after the selection');
    assert.deepEqual(kept, [[9n]]);
    // What the apps warn with: where, the park, the records behind it, what to do.
    const [[fields, message]] = logged;
    assert.deepEqual(fields, { topic: 'in', partition: 3, key: 'k', failedOffset: '5', parkedAfter: ['9'] });
    assert.match(
      message,
      /key parked at 5 processed; the key stays parked behind 1 record\(s\).*redrive again/,
    );
    assert.equal(await run.run(record(23n, 'v23'), signal, delivery, parked, changes), 'parked');
    // The next redrive replays v9 (and v23) and releases.
    await run.run(copy(30n, 'v9', 9n, { id: 'r2' }), signal, delivery, parked, changes);
    await run.run(copy(31n, 'v23', 23n, { id: 'r2', release: 23n }), signal, delivery, parked, changes);
    assert.equal(parked.isParked('k'), false);
    assert.deepEqual(outputs(delivery), ['v5', 'v6', 'v7', 'v9', 'v23']);
  });

  it('a copy that fails again is dead-lettered and the rest of its redrive is parked behind the same failure', async () => {
    const failing = new Set(['v5']);
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
    const run = runner(failing);
    await parkedAt5(run, delivery, parked, changes);
    assert.equal(await run.run(copy(20n, 'v5', 5n, {}), signal, delivery, parked, changes), 'dead-lettered');
    assert.equal(await run.run(copy(21n, 'v6', 6n, {}), signal, delivery, parked, changes), 'parked');
    assert.equal(
      await run.run(copy(22n, 'v7', 7n, { release: 7n }), signal, delivery, parked, changes),
      'parked',
    );
    assert.ok(parked.isParked('k'));
    assert.deepEqual(outputs(delivery), []);
    assert.deepEqual(changes.brokenRedrives, [{ key: Buffer.from('k'), redriveId: 'r1' }]);
    const letter = delivery.written.at(-1)!.record as DeadLetterRecord;
    assert.equal(readDeadLetterHeaders(letter.headers)?.parkedBehind, 5n);
    assert.equal(readRedriveHeaders(letter.headers)?.parked, 5n, 'the redrive mark stays on the dead letter');
  });

  it('a copy for another park (an older failed offset) is parked, not replayed', async () => {
    const delivery = new RecordingDelivery();
    const parked = new ParkedKeys();
    const changes: BatchParking = { parked: [], released: [], brokenRedrives: [] };
    const run = runner(new Set(['v5']));
    await parkedAt5(run, delivery, parked, changes);
    assert.equal(
      await run.run(copy(20n, 'v3', 3n, { parked: 3n, release: 3n }), signal, delivery, parked, changes),
      'parked',
    );
    assert.ok(parked.isParked('k'));
  });
});

describe('RecordRunner and a dependency outage', () => {
  it('fails the record uncommitted instead of dead-lettering it when the registry stays away', async () => {
    const delivery = new RecordingDelivery();
    const outage = new DependencyUnavailableError('registering a schema: the registry did not answer');
    const run = new RecordRunner({
      group: 'g',
      onKeyFailure: 'park',
      retryPolicy: parseRetryPolicy({ maxAttempts: 2, initialDelayMs: 1 }),
      processor: {
        name: 'Step',
        process() {
          throw new Error('encoding the output failed', { cause: outage });
        },
      },
    });
    await assert.rejects(
      run.run(record(7n, 'v7'), new AbortController().signal, delivery, new ParkedKeys(), {
        parked: [],
        released: [],
      }),
      /encoding the output failed/,
    );
    assert.deepEqual(delivery.written, [], 'no dead letter, no park marker, no output');
  });
});
