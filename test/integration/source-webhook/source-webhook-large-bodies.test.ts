// Large webhooks at once: requests that arrive together go to Kafka in one produce request, which
// the broker refuses whole when it passes its 1 MiB limit; the source splits it by bytes, so every
// body it accepts fits, however many arrive at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { json, send, type WebhookApp, WebhookTestBed } from './source-webhook-harness';

describe('source-webhook: large bodies arriving together', () => {
  const bed = new WebhookTestBed();
  const topic = bed.topic('large');
  let app: WebhookApp;

  before(async () => {
    // One partition: every record of a produce request lands in the same batch.
    const config = bed.config([{ name: 'large', path: '/large', topic, verify: { scheme: 'none' } }]);
    app = await bed.runningApp({ ...config, topics: { partitions: 1 } });
  });

  after(() => bed.cleanup());

  it('takes six 300 KB webhooks sent at once, each written once', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) =>
      JSON.stringify({ id: `big-${i}`, fill: 'x'.repeat(300_000) }),
    );
    const replies = await Promise.all(bodies.map((body) => send(app, '/large', body, json())));
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 200, 200, 200, 200],
      JSON.stringify(replies.map((r) => r.body)),
    );
    assert.equal((await bed.records(topic)).length, 6);
  });

  it('takes a body near the default limit (512 KiB): the topic it created holds records that large', async () => {
    const body = JSON.stringify({ id: 'near-limit', fill: 'y'.repeat(524_288 - 40) });
    const reply = await send(app, '/large', body, json());
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  });
});
