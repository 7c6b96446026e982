import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Message } from 'kafkajs';
import { cutRequests } from './transactional-stream-writer';

const queue = (partition: number, count: number, size: number) => ({
  messages: Array.from({ length: count }, (_, i): Message => ({ partition, value: `${partition}:${i}` })),
  sizes: Array.from({ length: count }, () => size),
});

describe('cutRequests', () => {
  it("puts every partition's next share in each request, keeping order per partition", () => {
    const requests = cutRequests(
      new Map([
        [0, queue(0, 1200, 100)],
        [1, queue(1, 700, 100)],
        [2, queue(2, 10, 100)],
      ]),
    );
    // 500 messages of a partition per request at most.
    assert.deepEqual(
      requests.map((r) => [0, 1, 2].map((p) => r.filter((m) => m.partition === p).length)),
      [
        [500, 500, 10],
        [500, 200, 0],
        [200, 0, 0],
      ],
    );
    for (const p of [0, 1, 2]) {
      const values = requests
        .flat()
        .filter((m) => m.partition === p)
        .map((m) => m.value);
      assert.deepEqual(
        values,
        queue(p, values.length, 0).messages.map((m) => m.value),
      );
    }
  });

  it("keeps a partition's share under 768 KiB, yet always takes one message (a large one alone)", () => {
    const big = 300 * 1024;
    const requests = cutRequests(
      new Map([
        [0, queue(0, 5, big)],
        [1, queue(1, 1, 2 * 1024 * 1024)],
      ]),
    );
    assert.deepEqual(
      requests.map((r) => r.map((m) => m.value)),
      [['0:0', '0:1', '1:0'], ['0:2', '0:3'], ['0:4']],
    );
  });

  it('answers no request for empty queues', () => {
    assert.deepEqual(cutRequests(new Map()), []);
    assert.deepEqual(cutRequests(new Map([[3, queue(3, 0, 1)]])), []);
  });
});
