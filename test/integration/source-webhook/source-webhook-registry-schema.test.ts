// An endpoint whose value schema is a registry subject: read at start-up (latest version), the
// body checked against it and written with that version's id; a start before the subject exists
// waits (503 meanwhile) and goes on once it is registered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfluentSchemaRegistryClient } from '@sluice/schema';
import { readCommitted, stackAddresses } from '@sluice/test-support';
import { json, send, until, type WebhookApp, WebhookTestBed } from './source-webhook-harness';

const PAYMENT = JSON.stringify({
  type: 'record',
  name: 'Payment',
  namespace: 'it.webhook',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cents', type: 'long' },
  ],
});

describe('source-webhook: a value schema from the registry', () => {
  const bed = new WebhookTestBed();
  const topic = bed.topic('registry');
  const subject = `${bed.topic('payments')}-contract`;
  const registry = new ConfluentSchemaRegistryClient({ url: stackAddresses().registryUrl });
  let app: WebhookApp;

  before(async () => {
    app = await bed.startApp(
      bed.config([
        {
          name: 'payments',
          path: '/payments',
          topic,
          verify: { scheme: 'none' },
          deliveryId: 'id',
          key: 'id',
          schema: { subject },
        },
      ]),
    );
  });

  after(() => bed.cleanup());

  it('waits for a subject that does not exist yet: 503, the reason in /status', async () => {
    const reply = await send(app, '/payments', JSON.stringify({ id: 'p-0', cents: 1 }), json());
    assert.equal(reply.status, 503);
    await until(
      async () => {
        const status = (await (await fetch(`${app.url}/status`)).json()) as { lastError?: string };
        return status.lastError?.includes(subject) ?? false;
      },
      30_000,
      'the missing subject named in /status',
    );
  });

  it("once registered, checks bodies against it and writes them with its version's id", async () => {
    const id = await registry.register(subject, PAYMENT);
    await until(() => app.connector.phase === 'running', 30_000, 'the source running');
    const refused = await send(app, '/payments', JSON.stringify({ id: 'p-1', cents: 'ten' }), json());
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.match(String(refused.body.error), /cents/);
    const accepted = await send(app, '/payments', JSON.stringify({ id: 'p-2', cents: 250 }), json());
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const [record] = await bed.records(topic);
    assert.deepEqual(record!.value, { id: 'p-2', cents: 250 });
    const [raw] = [...(await readCommitted(bed.kafka, topic)).values()].flat();
    assert.equal(raw!.value!.readInt32BE(1), id, "written with the subject's schema id");
  });
});
