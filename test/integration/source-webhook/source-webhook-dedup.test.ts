// Deduplication by delivery id against the real Kafka: a redelivery (sequential, or many at once)
// is answered `duplicate` and written once; a new app on the same topic reads the ledger back
// from the topic, so a redelivery after a restart is still a duplicate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import {
  json,
  type Reply,
  send,
  type WebhookApp,
  type WebhookAppConfig,
  WebhookTestBed,
} from './source-webhook-harness';

const SECRET = 'gh-webhook-secret-0123456789';

/** A GitHub delivery (its id in X-GitHub-Delivery), signed. */
function githubDelivery(id: string, body = JSON.stringify({ action: 'created', hook: id })) {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return {
    body,
    headers: json({ 'x-github-delivery': id, 'x-github-event': 'push', 'x-hub-signature-256': signature }),
  };
}

const statuses = (replies: Reply[]) => replies.map((r) => `${r.status} ${String(r.body.status)}`).sort();

describe('source-webhook: deduplication by delivery id', () => {
  const bed = new WebhookTestBed();
  const topic = bed.topic('dedup');
  const plainTopic = bed.topic('dedup-plain');
  let config: WebhookAppConfig;
  let app: WebhookApp;

  const written = async (t: string, deliveryId: string) =>
    (await bed.records(t)).filter((r) => r.deliveryId === deliveryId).length;

  before(async () => {
    config = bed.config(
      [
        { name: 'gh', path: '/gh', topic, verify: { scheme: 'github', secrets: [SECRET] } },
        // A second endpoint on the same topic: its delivery ids are its own.
        { name: 'gh-mirror', path: '/gh-mirror', topic, verify: { scheme: 'github', secrets: [SECRET] } },
        // No id from the sender: the body's SHA-256 identifies the delivery.
        { name: 'plain', path: '/plain', topic: plainTopic, verify: { scheme: 'none' } },
      ],
      { topics: { partitions: 2 } },
    );
    app = await bed.runningApp(config);
  });

  after(() => bed.cleanup());

  it('the same delivery sent twice in a row: accepted, then duplicate, one record', async () => {
    const id = randomUUID();
    const { body, headers } = githubDelivery(id);
    const first = await send(app, '/gh', body, headers);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { status: 'accepted', deliveryId: `gh:${id}` });
    const second = await send(app, '/gh', body, headers);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(second.body, { status: 'duplicate', deliveryId: `gh:${id}` });
    assert.equal(await written(topic, `gh:${id}`), 1);
  });

  it('the same delivery sent 10 times at once: one accepted, nine duplicates, one record', async () => {
    const id = randomUUID();
    const { body, headers } = githubDelivery(id);
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(app, '/gh', body, headers)));
    assert.deepEqual(statuses(replies), ['200 accepted', ...Array<string>(9).fill('200 duplicate')]);
    assert.equal(await written(topic, `gh:${id}`), 1);
  });

  it('the same delivery id at two endpoints is two deliveries, one record each', async () => {
    const id = randomUUID();
    const { body, headers } = githubDelivery(id);
    const replies = [await send(app, '/gh', body, headers), await send(app, '/gh-mirror', body, headers)];
    assert.deepEqual(
      replies.map((r) => r.body),
      [
        { status: 'accepted', deliveryId: `gh:${id}` },
        { status: 'accepted', deliveryId: `gh-mirror:${id}` },
      ],
    );
    assert.equal(await written(topic, `gh:${id}`), 1);
    assert.equal(await written(topic, `gh-mirror:${id}`), 1);
  });

  it('without a sender id, an identical body is the same delivery', async () => {
    const body = JSON.stringify({ ping: randomUUID() });
    const first = await send(app, '/plain', body);
    const second = await send(app, '/plain', body);
    assert.deepEqual([first.body.status, second.body.status], ['accepted', 'duplicate']);
    assert.equal(first.body.deliveryId, second.body.deliveryId);
    assert.equal(await written(plainTopic, first.body.deliveryId as string), 1);
  });

  it('after a restart on the same topic, a redelivery is still a duplicate (the ledger reads it back)', async () => {
    const id = randomUUID();
    const { body, headers } = githubDelivery(id);
    assert.equal((await send(app, '/gh', body, headers)).body.status, 'accepted');
    const before = (await bed.records(topic)).filter((r) => r.deliveryId.startsWith('gh:'));

    await bed.stopApp(app);
    app = await bed.runningApp(config);

    const again = await send(app, '/gh', body, headers);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { status: 'duplicate', deliveryId: `gh:${id}` });
    // Every delivery written before the restart, from any partition, is remembered.
    const replays = await Promise.all(
      before.map((r) => {
        const redelivery = githubDelivery(r.deliveryId.slice('gh:'.length));
        return send(app, '/gh', redelivery.body, redelivery.headers);
      }),
    );
    assert.ok(
      replays.every((r) => r.body.status === 'duplicate'),
      JSON.stringify(replays.map((r) => r.body)),
    );
    assert.deepEqual(
      (await bed.records(topic)).filter((r) => r.deliveryId.startsWith('gh:')),
      before,
      'nothing written again',
    );
    // ... and a new delivery is still taken.
    const fresh = githubDelivery(randomUUID());
    assert.equal((await send(app, '/gh', fresh.body, fresh.headers)).body.status, 'accepted');
  });
});
