import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type DeadLetterRecord } from '../dead-letter/dead-letter-headers';
import { type PartitionDelivery } from '../delivery/partition-delivery';
import { parseRetryPolicy } from '../failure/retry-policy';
import { type OutputRecord, type StreamRecord } from '../processor/stream-record';
import { type ChangelogReader } from '../state/changelog-reader';
import { PartitionState } from '../state/partition-state';
import { type BatchControl, PartitionWorker } from './partition-worker';
import { RecordRunner } from './record-runner';

/** Records the delivery calls, in order; `failCheckpoint` makes the next checkpoint reject. */
class RecordingDelivery implements PartitionDelivery {
  readonly calls: string[] = [];
  failCheckpoint = false;
  async begin(): Promise<void> {
    this.calls.push('begin');
  }
  async send(records: readonly OutputRecord[]): Promise<void> {
    this.calls.push(`send ${records.length}`);
  }
  async deadLetter(_record: DeadLetterRecord): Promise<void> {
    this.calls.push('deadLetter');
  }
  async checkpoint(next: bigint): Promise<void> {
    if (this.failCheckpoint) throw new Error('commit refused');
    this.calls.push(`checkpoint ${next}`);
  }
  async abort(): Promise<void> {
    this.calls.push('abort');
  }
  async close(): Promise<void> {}
}

const record = (offset: bigint): StreamRecord => ({
  topic: 'in',
  partition: 0,
  offset,
  key: Buffer.from(`k${offset}`),
  value: Buffer.from('v'),
  headers: [],
  timestamp: '0',
});

function worker(delivery: RecordingDelivery): PartitionWorker {
  const runner = new RecordRunner({
    group: 'g',
    onKeyFailure: 'skip',
    retryPolicy: parseRetryPolicy({ maxAttempts: 1 }),
    processor: { name: 'Identity', process: (r) => [{ topic: 'out', key: r.key, value: r.value }] },
    kafkaOutputs: true,
  });
  return new PartitionWorker({ topic: 'in', partition: 0 }, delivery, runner, {
    keysPerPartition: 4,
    maxBuffered: 100,
    revokeTimeoutMs: 1000,
    heartbeatIntervalMs: 60_000,
    partialCheckpoint: false,
  });
}

const control = (fetchedThrough?: bigint): BatchControl & { resolved: bigint[] } => {
  const resolved: bigint[] = [];
  return {
    resolved,
    signal: new AbortController().signal,
    intakeClosed: () => false,
    heartbeat: () => Promise.resolve(),
    resolveOffset: (offset) => resolved.push(offset),
    ...(fetchedThrough !== undefined ? { fetchedThrough } : {}),
  };
};

describe('PartitionWorker and control records', () => {
  it('commits past the control records that end a completely processed batch', async () => {
    const delivery = new RecordingDelivery();
    const w = worker(delivery);
    // Records 10-12, then a commit marker at 13: the fetch went through 13.
    const c = control(14n);
    const outcome = await w.processBatch([record(10n), record(11n), record(12n)], c);
    assert.deepEqual(outcome, { kind: 'committed', nextOffset: 14n, complete: true });
    assert.equal(delivery.calls.at(-1), 'checkpoint 14');
    assert.deepEqual(c.resolved, [13n]);
    assert.equal(w.committedOffset, 14n);
  });

  it('commits after the last record without a fetch position (as before)', async () => {
    const delivery = new RecordingDelivery();
    const outcome = await worker(delivery).processBatch([record(10n), record(11n)], control());
    assert.deepEqual(outcome, { kind: 'committed', nextOffset: 12n, complete: true });
  });

  it('checkpoints a fetch of control records only when the partition stands at its first offset', async () => {
    const delivery = new RecordingDelivery();
    const w = worker(delivery);
    const signal = new AbortController().signal;
    // Before a first commit here: where the caller says the partition stands.
    assert.equal(await w.skipControlRecords(5n, 6n, async () => 4n, signal), false);
    assert.deepEqual(delivery.calls, []);
    assert.equal(await w.skipControlRecords(5n, 6n, async () => 5n, signal), true);
    assert.deepEqual(delivery.calls, ['begin', 'checkpoint 6']);
    assert.equal(w.committedOffset, 6n);
    // From then on, where this worker committed: a stale fetch is left alone.
    assert.equal(await w.skipControlRecords(5n, 6n, async () => 5n, signal), false);
    assert.equal(await w.skipControlRecords(6n, 9n, async () => undefined, signal), true);
    assert.equal(w.committedOffset, 9n);
  });

  it('leaves the position alone when given up, and rejects (aborting) when the checkpoint fails', async () => {
    const delivery = new RecordingDelivery();
    const w = worker(delivery);
    const given = new AbortController();
    given.abort();
    assert.equal(await w.skipControlRecords(5n, 6n, async () => 5n, given.signal), false);
    delivery.failCheckpoint = true;
    await assert.rejects(
      w.skipControlRecords(5n, 6n, async () => 5n, new AbortController().signal),
      /commit refused/,
    );
    assert.deepEqual(delivery.calls, ['begin', 'abort']);
    assert.equal(w.committedOffset, undefined);
  });
});

/** A changelog of `records` records for store `s`, whose read waits for `gate` (a slow restore). */
function gatedReader(records: number, gate: Promise<void>): ChangelogReader & { reads: number } {
  const reader = {
    reads: 0,
    range: async () => ({ from: 0n, to: BigInt(records) }),
    read: async (
      _topic: string,
      _partition: number,
      _range: unknown,
      apply: (k: Buffer, v: Buffer | null, o: bigint) => void,
      signal: AbortSignal,
    ) => {
      reader.reads += 1;
      await Promise.race([
        gate,
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('restore aborted'))),
        ),
      ]);
      for (let i = 0; i < records; i++) apply(Buffer.from(`k${i}`), Buffer.from('seen'), BigInt(i));
    },
  };
  return reader as unknown as ChangelogReader & { reads: number };
}

/** A worker whose processor counts the keys its store holds into each output. */
function statefulWorker(delivery: RecordingDelivery, reader: ChangelogReader): PartitionWorker {
  const runner = new RecordRunner({
    group: 'g',
    onKeyFailure: 'skip',
    retryPolicy: parseRetryPolicy({ maxAttempts: 1 }),
    processor: {
      name: 'Counter',
      stateStores: ['s'],
      process: (r, ctx) => {
        const store = ctx.state!.store('s');
        store.put(r.key!.toString(), Buffer.from('seen'));
        return [{ topic: 'out', key: r.key, value: Buffer.from(String([...store.entries()].length)) }];
      },
    },
    kafkaOutputs: true,
  });
  return new PartitionWorker(
    { topic: 'in', partition: 0 },
    delivery,
    runner,
    {
      keysPerPartition: 1,
      maxBuffered: 100,
      revokeTimeoutMs: 1000,
      heartbeatIntervalMs: 5,
      partialCheckpoint: false,
    },
    undefined,
    { stores: new PartitionState({ topic: 'in', partition: 0 }, 'g', ['s']), reader },
  );
}

describe('PartitionWorker: state restored on assignment', () => {
  it('restores in an empty transaction (begin fences the previous owner, then abort), before any batch', async () => {
    const delivery = new RecordingDelivery();
    const reader = gatedReader(3, Promise.resolve());
    const w = statefulWorker(delivery, reader);
    await w.restoreState(new AbortController().signal);
    assert.deepEqual(delivery.calls, ['begin', 'abort']);
    assert.equal(w.state!.stores.needsRestore, false);
    assert.deepEqual(w.state!.stores.sizes(), { s: 3 });
    await w.restoreState(new AbortController().signal);
    assert.equal(reader.reads, 1, 'restored once');
  });

  it('a batch that arrives during the restore waits for it, heartbeating, and then sees the restored state', async () => {
    const delivery = new RecordingDelivery();
    let open!: () => void;
    const reader = gatedReader(2, new Promise<void>((resolve) => (open = resolve)));
    const w = statefulWorker(delivery, reader);
    const restored = w.restoreState(new AbortController().signal);
    let heartbeats = 0;
    const c = { ...control(), heartbeat: () => Promise.resolve(void (heartbeats += 1)) };
    const batch = w.processBatch([record(5n)], c);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(delivery.calls, ['begin'], 'the batch has not started');
    assert.ok(heartbeats > 0, 'the waiting batch keeps the group membership alive');
    open();
    await restored;
    assert.deepEqual(await batch, { kind: 'committed', nextOffset: 6n, complete: true });
    assert.deepEqual(delivery.calls, ['begin', 'abort', 'begin', 'send 1', 'deadLetter', 'checkpoint 6']);
    assert.equal(reader.reads, 1, 'the batch did not restore again');
    assert.deepEqual(w.state!.stores.sizes(), { s: 3 }, 'two restored keys and the batch its own');
  });

  it('a restore given up (rebalance) rejects and is done again next time', async () => {
    const delivery = new RecordingDelivery();
    const reader = gatedReader(2, new Promise<void>(() => undefined));
    const w = statefulWorker(delivery, reader);
    const given = new AbortController();
    const restoring = w.restoreState(given.signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(reader.reads, 1, 'reading the changelog');
    given.abort();
    await assert.rejects(restoring, /restore aborted/);
    assert.deepEqual(delivery.calls, ['begin', 'abort']);
    assert.equal(w.state!.stores.needsRestore, true);
  });
});
