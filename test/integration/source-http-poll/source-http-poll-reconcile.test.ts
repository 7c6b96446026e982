// Deletions found by reconciliation, against the local test API and the real Kafka: a key the
// full listing no longer has gets one delete event and one tombstone, in that order, and is not
// deleted again by the next scan.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PollTestApi } from './poll-test-api';
import { PollTestBed, until } from './source-http-poll-harness';

const bed = new PollTestBed();

describe('source-http-poll: reconciliation', () => {
  const api = new PollTestApi({ pageSize: 7 });
  let base: string;
  before(async () => {
    base = await api.start();
  });
  after(async () => {
    await bed.cleanup();
    await api.stop();
  });

  it('emits a delete event and a tombstone for each key no longer listed, once', async () => {
    api.seed(20);
    const topic = bed.topic('reconcile');
    const app = await bed.runningApp(
      bed.config(
        [
          {
            name: 'reconciled',
            topic,
            request: { url: `${base}/next-link/items`, query: { since: '{{ cursor.since }}' } },
            items: 'data',
            key: 'id',
            version: 'version',
            cursor: { field: 'updated_at', tieBreaker: 'id' },
            pagination: { type: 'next-link', path: 'next' },
            schedule: { intervalMs: 200 },
            reconcile: { intervalMs: 1_000 },
          },
        ],
        { name: 'poll-reconcile' },
      ),
    );
    const deleted = () =>
      (app.connector.status() as { streams: { items: { deleted: number } }[] }).streams[0]!.items.deleted;
    await until(async () => (await bed.records(topic)).length === 20, 15_000, 'the first poll');
    api.remove('c00004');
    api.remove('c00011');
    api.remove('c00020');
    await until(() => deleted() === 3, 15_000, 'three deletions');
    // Two more scans: nothing deleted again.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.equal(deleted(), 3);
    const records = await bed.records(topic);
    for (const key of ['c00004', 'c00011', 'c00020']) {
      const mine = records.filter((r) => r.key === key);
      assert.deepEqual(
        mine.map((r) => [r.op, r.value === null ? 'tombstone' : (r.value.op as string)]),
        [
          ['u', 'u'],
          ['d', 'd'],
          ['d', 'tombstone'],
        ],
        key,
      );
    }
    assert.equal(records.filter((r) => r.op === 'd').length, 6);
  });
});
