// Requests the source refuses before anything reaches Kafka, each with its status and a JSON
// error, the topics' end offsets unmoved; and a body under a declared Avro schema (.avsc next to
// the configuration), written as that record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { json, type Reply, send, type WebhookApp, WebhookTestBed } from './source-webhook-harness';

const ORDER_SCHEMA = {
  type: 'record',
  name: 'Order',
  namespace: 'it.webhook',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
    {
      name: 'items',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Item',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'qty', type: 'int' },
          ],
        },
      },
    },
  ],
};

const MAX_BODY = 1024;

describe('source-webhook: bad input is refused with a JSON error and writes nothing', () => {
  const bed = new WebhookTestBed();
  const plainTopic = bed.topic('plain');
  const typedTopic = bed.topic('typed');
  let app: WebhookApp;

  /** Sends, asserts `status` with a JSON `error` and that no topic moved; returns the error. */
  async function refused(
    status: number,
    path: string,
    body: string | Buffer,
    headers?: Record<string, string>,
  ): Promise<string> {
    const offsets = await bed.endOffsets(plainTopic, typedTopic);
    const reply: Reply = await send(app, path, body, headers);
    assert.equal(reply.status, status, JSON.stringify(reply.body));
    assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(typeof reply.body.error, 'string', JSON.stringify(reply.body));
    assert.deepEqual(await bed.endOffsets(plainTopic, typedTopic), offsets, 'nothing written');
    return `${String(reply.body.error)} ${String(reply.body.message ?? '')}`;
  }

  before(async () => {
    const dir = bed.tempDir();
    writeFileSync(join(dir, 'order.avsc'), JSON.stringify(ORDER_SCHEMA, null, 2));
    app = await bed.runningApp(
      bed.config([
        {
          name: 'plain',
          path: '/webhooks/plain',
          topic: plainTopic,
          verify: { scheme: 'none' },
          key: 'data.customer',
          maxBodyBytes: MAX_BODY,
        },
        {
          name: 'typed',
          path: '/webhooks/orders',
          topic: typedTopic,
          verify: { scheme: 'none' },
          deliveryId: 'id',
          key: 'id',
          // Relative to the configuration's folder (baseDir).
          schema: { file: 'order.avsc' },
        },
      ]),
      { baseDir: dir },
    );
  });

  after(() => bed.cleanup());

  it('malformed JSON: 400', async () => {
    assert.match(await refused(400, '/webhooks/plain', '{"data": {"customer": '), /not JSON/);
  });

  it('a body that is not valid UTF-8: 400, not stored with the bad bytes replaced', async () => {
    const body = Buffer.concat([
      Buffer.from('{"data": {"customer": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}}'),
    ]);
    assert.match(await refused(400, '/webhooks/plain', body), /not valid UTF-8/);
  });

  it('a content type not accepted: 415', async () => {
    const body = JSON.stringify({ data: { customer: 'c1' } });
    assert.match(
      await refused(415, '/webhooks/plain', body, { 'content-type': 'text/plain' }),
      /text\/plain/,
    );
  });

  it('no content type: 415', async () => {
    assert.match(
      await refused(415, '/webhooks/plain', Buffer.from('{"data":{"customer":"c1"}}'), {}),
      /none/,
    );
  });

  it('a body over maxBodyBytes: 413', async () => {
    const body = JSON.stringify({ data: { customer: 'c1' }, padding: 'x'.repeat(MAX_BODY) });
    await refused(413, '/webhooks/plain', body, json());
  });

  it('an unknown path: 404', async () => {
    await refused(404, '/webhooks/nobody-here', '{}', json());
  });

  it('a key expression with no value in the body: 400 naming the expression', async () => {
    const error = await refused(400, '/webhooks/plain', JSON.stringify({ data: { other: 1 } }), json());
    assert.match(error, /key/);
    assert.ok(error.includes('data.customer'), error);
  });

  it('a body not fitting the declared schema: 400 naming the field', async () => {
    const wrongType = { id: 'o-bad', amount: 'lots', items: [] };
    assert.match(await refused(400, '/webhooks/orders', JSON.stringify(wrongType), json()), /\bamount\b/);
    const nested = { id: 'o-bad', amount: 1, items: [{ sku: 'a', qty: 'two' }] };
    assert.match(await refused(400, '/webhooks/orders', JSON.stringify(nested), json()), /items\.0\.qty/);
  });

  it('a body fitting the declared schema is written as that Avro record', async () => {
    const order = { id: `o-${Date.now()}`, amount: 1200, note: 'gift wrap', items: [{ sku: 'a', qty: 2 }] };
    const reply = await send(app, '/webhooks/orders', JSON.stringify(order), {
      'content-type': 'application/json; charset=utf-8',
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { status: 'accepted', deliveryId: `typed:${order.id}` });
    const records = await bed.records(typedTopic);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.key, order.id);
    assert.equal(records[0]!.deliveryId, `typed:${order.id}`);
    assert.deepEqual(records[0]!.value, order);
  });

  it('a body of the plain endpoint with its key is written under that key', async () => {
    const reply = await send(app, '/webhooks/plain', JSON.stringify({ data: { customer: 'cus_9' } }), json());
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const records = await bed.records(plainTopic);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.key, 'cus_9');
  });
});
