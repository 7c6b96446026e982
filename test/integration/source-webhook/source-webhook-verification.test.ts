// Every verification preset end to end against the real Kafka and registry: a request signed the
// way its provider documents (signatures built here with node:crypto, not with the library under
// test; Sluice's own with WebhookSignature, as the HTTP sink signs) is answered 200 and lands in
// its topic exactly once, keyed and enveloped; a tampered body, a stale timestamp and a wrong
// secret are 401 and write nothing; the second of two secrets (a rotation) is accepted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { EVENT_TYPE_HEADER } from '@sluice/source-webhook';
import { WebhookSignature } from '@sluice/webhook-signing';
import {
  type EndpointConfig,
  json,
  nowSeconds,
  send,
  type WebhookApp,
  WebhookTestBed,
} from './source-webhook-harness';

const SECRET = 'whsec_current_0123456789abcdef';
/** The previous secret, still listed second during a rotation. */
const OLD_SECRET = 'whsec_previous_fedcba9876543210';
const WRONG_SECRET = 'whsec_someone_else_000000000000';
const STALE = 3_600;

const hmac = (algorithm: string, secret: string, content: string) =>
  createHmac(algorithm, secret).update(content, 'utf8');

/** One provider: its endpoint settings and how it builds, signs and identifies a delivery. */
interface Preset {
  readonly name: string;
  readonly endpoint: Omit<EndpointConfig, 'name' | 'path' | 'topic'>;
  /** The body of delivery `id`. */
  body(id: string): Record<string, unknown>;
  /** The provider's headers of delivery `id` other than the signature. */
  headers(id: string): Record<string, string>;
  /** The signature headers of `body` signed with `secret` at unix second `t`. */
  sign(body: string, secret: string, t: number): Record<string, string>;
  /** Whether the signature covers a timestamp (a stale one is refused). */
  readonly timestamped: boolean;
  /** The record key, event type and forwarded headers expected for delivery `id`. */
  expected(id: string): { key: string; eventType: string | null; headers: Record<string, string> };
}

const presets: Preset[] = [
  {
    name: 'stripe',
    endpoint: {
      verify: { scheme: 'stripe', secrets: [SECRET, OLD_SECRET] },
      key: 'data.object.customer',
      eventType: 'type',
    },
    body: (id) => ({
      id,
      object: 'event',
      type: 'invoice.paid',
      data: { object: { id: 'in_1', customer: `cus_${id}`, amount_paid: 4200 } },
    }),
    headers: () => ({}),
    // Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<payload>">
    sign: (body, secret, t) => ({
      'stripe-signature': `t=${t},v1=${hmac('sha256', secret, `${t}.${body}`).digest('hex')}`,
    }),
    timestamped: true,
    expected: (id) => ({ key: `cus_${id}`, eventType: 'invoice.paid', headers: {} }),
  },
  {
    name: 'github',
    endpoint: {
      verify: { scheme: 'github', secrets: [SECRET, OLD_SECRET] },
      key: 'repository.full_name',
      eventType: "$headers['x-github-event']",
      forwardHeaders: ['X-GitHub-Event'],
    },
    body: (id) => ({ action: 'opened', number: 7, repository: { full_name: `acme/${id}` } }),
    headers: (id) => ({ 'x-github-delivery': id, 'x-github-event': 'pull_request' }),
    // X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the payload>
    sign: (body, secret) => ({
      'x-hub-signature-256': `sha256=${hmac('sha256', secret, body).digest('hex')}`,
    }),
    timestamped: false,
    expected: (id) => ({
      key: `acme/${id}`,
      eventType: 'pull_request',
      headers: { 'x-github-event': 'pull_request' },
    }),
  },
  {
    name: 'shopify',
    endpoint: {
      verify: { scheme: 'shopify', secrets: [SECRET, OLD_SECRET] },
      key: "$headers['x-shopify-shop-domain']",
      eventType: "$headers['x-shopify-topic']",
    },
    body: (id) => ({ id: 450789469, email: `${id}@example.com`, total_price: '10.00' }),
    headers: (id) => ({
      'x-shopify-webhook-id': id,
      'x-shopify-topic': 'orders/create',
      'x-shopify-shop-domain': `${id}.myshopify.com`,
    }),
    // X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>
    sign: (body, secret) => ({ 'x-shopify-hmac-sha256': hmac('sha256', secret, body).digest('base64') }),
    timestamped: false,
    expected: (id) => ({ key: `${id}.myshopify.com`, eventType: 'orders/create', headers: {} }),
  },
  {
    name: 'slack',
    endpoint: {
      verify: { scheme: 'slack', secrets: [SECRET, OLD_SECRET] },
      key: 'team_id',
      eventType: 'event.type',
    },
    body: (id) => ({
      type: 'event_callback',
      team_id: `T${id}`,
      event_id: id,
      event: { type: 'app_mention', text: 'hi' },
    }),
    headers: () => ({}),
    // X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>">
    sign: (body, secret, t) => ({
      'x-slack-request-timestamp': String(t),
      'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${t}:${body}`).digest('hex')}`,
    }),
    timestamped: true,
    expected: (id) => ({ key: `T${id}`, eventType: 'app_mention', headers: {} }),
  },
  {
    name: 'sluice',
    endpoint: { verify: { scheme: 'sluice', secrets: [SECRET, OLD_SECRET] }, eventType: 'kind' },
    body: (id) => ({ kind: 'order.shipped', order: id }),
    headers: (id) => ({ 'idempotency-key': id }),
    // What Sluice's HTTP sink sends: X-Sluice-Signature: t=<unix s>,v1=<hex>
    sign: (body, secret, t) => ({
      'x-sluice-signature': new WebhookSignature(secret).header(Buffer.from(body), t),
    }),
    timestamped: true,
    // No key expression: the key is the delivery id.
    expected: (id) => ({ key: id, eventType: 'order.shipped', headers: {} }),
  },
  {
    name: 'hmac',
    endpoint: {
      verify: {
        scheme: 'hmac',
        secrets: [SECRET, OLD_SECRET],
        header: 'X-Acme-Signature',
        algorithm: 'sha512',
        encoding: 'base64',
        prefix: 'sha512=',
        signed: 'timestamp-body',
        timestampHeader: 'X-Acme-Timestamp',
        separator: ':',
        deliveryIdHeader: 'X-Acme-Delivery',
      },
      key: 'account.id',
      eventType: "$headers['x-acme-event']",
      forwardHeaders: ['x-acme-delivery'],
    },
    body: () => ({ account: { id: 42 }, change: 'plan' }),
    headers: (id) => ({ 'x-acme-delivery': id, 'x-acme-event': 'account.updated' }),
    sign: (body, secret, t) => ({
      'x-acme-timestamp': String(t),
      'x-acme-signature': `sha512=${hmac('sha512', secret, `${t}:${body}`).digest('base64')}`,
    }),
    timestamped: true,
    // A number in the body: its JSON text.
    expected: (id) => ({ key: '42', eventType: 'account.updated', headers: { 'x-acme-delivery': id } }),
  },
];

describe('source-webhook: verification presets end to end', () => {
  const bed = new WebhookTestBed();
  const topics = new Map(presets.map((p) => [p.name, bed.topic(p.name)]));
  let app: WebhookApp;

  before(async () => {
    app = await bed.runningApp(
      bed.config(
        presets.map((p) => ({
          ...p.endpoint,
          name: p.name,
          path: `/webhooks/${p.name}`,
          topic: topics.get(p.name)!,
        })),
      ),
    );
  });

  after(() => bed.cleanup());

  for (const preset of presets) {
    describe(preset.name, () => {
      const topic = () => topics.get(preset.name)!;
      const path = `/webhooks/${preset.name}`;
      /** A delivery: its id, body text and headers signed with `secret` at `t`. */
      const delivery = (secret = SECRET, t = nowSeconds()) => {
        const id = `${preset.name}-${randomUUID()}`;
        const body = JSON.stringify(preset.body(id));
        return { id, body, headers: json({ ...preset.headers(id), ...preset.sign(body, secret, t) }) };
      };
      const refusedWritingNothing = async (body: string, headers: Record<string, string>) => {
        const before = await bed.endOffsets(topic());
        const reply = await send(app, path, body, headers);
        assert.equal(reply.status, 401, JSON.stringify(reply.body));
        assert.equal(typeof reply.body.error, 'string', JSON.stringify(reply.body));
        assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
        assert.deepEqual(await bed.endOffsets(topic()), before, 'a refused request wrote nothing');
        return reply.body.error as string;
      };

      it('a request signed as the provider documents is accepted and written once, keyed and enveloped', async () => {
        const { id, body, headers } = delivery();
        const sentAt = Date.now();
        const reply = await send(app, path, body, headers);
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.deepEqual(reply.body, { status: 'accepted', deliveryId: `${preset.name}:${id}` });

        const mine = (await bed.records(topic())).filter((r) => r.deliveryId === `${preset.name}:${id}`);
        assert.equal(mine.length, 1, 'written exactly once');
        const [record] = mine;
        const expected = preset.expected(id);
        assert.equal(record!.key, expected.key);
        const { received_at: receivedAt, ...envelope } = record!.value;
        assert.deepEqual(envelope, {
          endpoint: preset.name,
          delivery_id: id,
          event_type: expected.eventType,
          headers: expected.headers,
          body,
        });
        assert.ok(
          typeof receivedAt === 'number' && receivedAt >= sentAt - 1000 && receivedAt <= Date.now(),
          `received_at ${String(receivedAt)}`,
        );
        assert.equal(record!.headers[EVENT_TYPE_HEADER], expected.eventType);
        for (const [name, value] of Object.entries(expected.headers))
          assert.equal(record!.headers[name], value);
      });

      it('a tampered body is 401 with a JSON error and writes nothing', async () => {
        const { body, headers } = delivery();
        const error = await refusedWritingNothing(body.replace('}', ',"extra":true}'), headers);
        assert.match(error, /signature/);
      });

      it('a wrong secret is 401 with a JSON error and writes nothing', async () => {
        const { body, headers } = delivery(WRONG_SECRET);
        assert.match(await refusedWritingNothing(body, headers), /signature mismatch/);
      });

      if (preset.timestamped)
        it('a correctly signed but stale timestamp is 401 with a JSON error and writes nothing', async () => {
          const { body, headers } = delivery(SECRET, nowSeconds() - STALE);
          assert.match(await refusedWritingNothing(body, headers), /timestamp outside tolerance/);
        });

      it('a request without its signature is 401 with a JSON error and writes nothing', async () => {
        const { id, body } = delivery();
        assert.match(await refusedWritingNothing(body, json(preset.headers(id))), /missing/);
      });

      it('a request signed with the second of two secrets (rotation) is accepted', async () => {
        const { id, body, headers } = delivery(OLD_SECRET);
        const reply = await send(app, path, body, headers);
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.equal(reply.body.status, 'accepted');
        const mine = (await bed.records(topic())).filter((r) => r.deliveryId === `${preset.name}:${id}`);
        assert.equal(mine.length, 1);
      });
    });
  }
});
