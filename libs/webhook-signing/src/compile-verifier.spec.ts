import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { parseConfig } from '@sluice/config';
import { compileVerifier } from './compile-verifier';
import { providerDeliveryId } from './delivery-id';
import { type SignedRequest } from './signature-verifier';
import { type VerificationConfigInput, verificationConfigSchema } from './verification-config';
import { WebhookSignature } from './webhook-signature';

const OLD = 'old_secret_0123456789';
const NEW = 'whsec_new_0123456789';
const T = 1_700_000_000;
const NOW_MS = (T + 10) * 1000;

const hmac = (algorithm: string, secret: string, content: string, encoding: 'hex' | 'base64' = 'hex') =>
  createHmac(algorithm, secret).update(content).digest(encoding);

/** Each scheme: its config, a request signed the provider's documented way, where its id lives. */
interface Preset {
  readonly config: VerificationConfigInput;
  /** The signature header (the one whose absence or garbling is named). */
  readonly header: string;
  /** The signed timestamp's header, when it is not the signature header itself. */
  readonly timestampHeader?: string;
  readonly timestamped: boolean;
  readonly body: string;
  sign(secret: string, body: string, t: number): Record<string, string>;
  /** Headers carrying the delivery id, and the id expected from them and the body. */
  readonly idHeaders: Record<string, string>;
  readonly deliveryId: string;
}

const stripeBody = '{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded"}';
const slackBody =
  '{"token":"z26uFbvR1xHJEdHE1OQiO6t8","team_id":"T061EG9RZ","event_id":"Ev0PV52K21","type":"event_callback"}';

const PRESETS: Record<string, Preset> = {
  sluice: {
    config: { scheme: 'sluice', secrets: [OLD, NEW] },
    header: 'x-sluice-signature',
    timestamped: true,
    body: '{"id":1,"name":"Zoë"}',
    sign: (secret, body, t) => ({
      'x-sluice-signature': new WebhookSignature(secret).header(Buffer.from(body), t),
    }),
    idHeaders: { 'idempotency-key': 'orders-3-1207' },
    deliveryId: 'orders-3-1207',
  },
  stripe: {
    // Stripe-Signature: t=<timestamp>,v1=<HMAC-SHA256 hex of "<timestamp>.<payload>">,v0=<test-mode scheme>
    config: { scheme: 'stripe', secrets: [OLD, NEW] },
    header: 'stripe-signature',
    timestamped: true,
    body: stripeBody,
    sign: (secret, body, t) => ({
      'stripe-signature': `t=${t},v1=${hmac('sha256', secret, `${t}.${body}`)},v0=${'6ffbb59b'.repeat(8)}`,
    }),
    idHeaders: {},
    deliveryId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  },
  github: {
    // X-Hub-Signature-256: sha256=<HMAC-SHA256 hex of the payload>
    config: { scheme: 'github', secrets: [OLD, NEW] },
    header: 'x-hub-signature-256',
    timestamped: false,
    body: '{"zen":"Keep it logically awesome.","hook_id":12345678}',
    sign: (secret, body) => ({ 'x-hub-signature-256': `sha256=${hmac('sha256', secret, body)}` }),
    idHeaders: { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' },
    deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  },
  shopify: {
    // X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body, keyed by the app's client secret>
    config: { scheme: 'shopify', secrets: [OLD, NEW] },
    header: 'x-shopify-hmac-sha256',
    timestamped: false,
    body: '{"id":820982911946154508,"email":"jon@example.com","total_price":"403.00"}',
    sign: (secret, body) => ({ 'x-shopify-hmac-sha256': hmac('sha256', secret, body, 'base64') }),
    idHeaders: { 'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' },
    deliveryId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  },
  slack: {
    // X-Slack-Signature: v0=<HMAC-SHA256 hex of "v0:<X-Slack-Request-Timestamp>:<body>">
    config: { scheme: 'slack', secrets: [OLD, NEW] },
    header: 'x-slack-signature',
    timestampHeader: 'x-slack-request-timestamp',
    timestamped: true,
    body: slackBody,
    sign: (secret, body, t) => ({
      'x-slack-request-timestamp': String(t),
      'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${t}:${body}`)}`,
    }),
    idHeaders: {},
    deliveryId: 'Ev0PV52K21',
  },
  hmac: {
    config: {
      scheme: 'hmac',
      secrets: [OLD, NEW],
      header: 'X-Signature',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: 'sha512=',
      signed: 'timestamp-body',
      timestampHeader: 'X-Timestamp',
      separator: '|',
      deliveryIdHeader: 'X-Delivery',
    },
    header: 'x-signature',
    timestampHeader: 'x-timestamp',
    timestamped: true,
    body: '{"event":"thing.created"}',
    sign: (secret, body, t) => ({
      'x-timestamp': String(t),
      'x-signature': `sha512=${hmac('sha512', secret, `${t}|${body}`, 'base64')}`,
    }),
    idHeaders: { 'x-delivery': 'd-42' },
    deliveryId: 'd-42',
  },
};

const parse = (config: VerificationConfigInput) => parseConfig(verificationConfigSchema, config, { env: {} });

function request(preset: Preset, secret: string, options: { t?: number; body?: string } = {}): SignedRequest {
  return {
    headers: { ...preset.sign(secret, preset.body, options.t ?? T), ...preset.idHeaders },
    body: Buffer.from(options.body ?? preset.body),
  };
}

const without = (req: SignedRequest, name: string): SignedRequest => ({
  ...req,
  headers: { ...req.headers, [name]: undefined },
});

for (const [scheme, preset] of Object.entries(PRESETS)) {
  describe(`compileVerifier: ${scheme}`, () => {
    const verifier = compileVerifier(parse(preset.config));

    it('accepts a request signed the provider’s way, with either of two rotating secrets', () => {
      assert.equal(verifier.scheme, scheme);
      assert.deepEqual(verifier.verify(request(preset, NEW), NOW_MS), { ok: true });
      assert.deepEqual(verifier.verify(request(preset, OLD), NOW_MS), { ok: true });
    });

    it('refuses a tampered body and another secret', () => {
      const tampered = request(preset, NEW, { body: preset.body.replace('}', ',"x":1}') });
      assert.deepEqual(verifier.verify(tampered, NOW_MS), { ok: false, reason: 'signature mismatch' });
      const foreign = request(preset, 'someone_elses_secret');
      assert.deepEqual(verifier.verify(foreign, NOW_MS), { ok: false, reason: 'signature mismatch' });
    });

    if (preset.timestamped)
      it('refuses a timestamp too old or too far ahead', () => {
        for (const t of [T - 400, T + 400])
          assert.deepEqual(verifier.verify(request(preset, NEW, { t }), NOW_MS), {
            ok: false,
            reason: 'timestamp outside tolerance',
          });
      });

    it('names a missing or malformed header, and never echoes the secret or the digest', () => {
      const signed = request(preset, NEW);
      for (const name of [preset.header, preset.timestampHeader].filter((n) => n !== undefined)) {
        assert.deepEqual(verifier.verify(without(signed, name), NOW_MS), {
          ok: false,
          reason: `missing ${name} header`,
        });
        const garbled = { ...signed, headers: { ...signed.headers, [name]: 'garbage!' } };
        const result = verifier.verify(garbled, NOW_MS);
        assert.deepEqual(result, { ok: false, reason: `malformed ${name} header` });
      }
      const mismatch = verifier.verify(request(preset, NEW, { body: '{}' }), NOW_MS);
      assert.equal(mismatch.ok, false);
      const reason = mismatch.ok ? '' : mismatch.reason;
      assert.ok(!reason.includes(NEW) && !/[0-9a-f]{16}/.test(reason), reason);
    });

    it('finds the provider’s delivery id', () => {
      const req = request(preset, NEW);
      assert.equal(providerDeliveryId(parse(preset.config), req, JSON.parse(preset.body)), preset.deliveryId);
      const bare = { ...req, headers: preset.sign(NEW, preset.body, T) };
      assert.equal(providerDeliveryId(parse(preset.config), bare, undefined), undefined);
    });
  });
}

describe('compileVerifier: documented fixtures', () => {
  it('verifies GitHub\'s documented example (secret "It\'s a Secret to Everybody", body "Hello, World!")', () => {
    const verifier = compileVerifier(parse({ scheme: 'github', secrets: ["It's a Secret to Everybody"] }));
    const req = {
      headers: {
        'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      },
      body: Buffer.from('Hello, World!'),
    };
    assert.deepEqual(verifier.verify(req, NOW_MS), { ok: true });
  });

  it('accepts any of several Stripe v1 signatures (Stripe sends one per active secret)', () => {
    const verifier = compileVerifier(parse({ scheme: 'stripe', secrets: [NEW] }));
    const [fromOld, fromNew] = [OLD, NEW].map((s) => hmac('sha256', s, `${T}.${stripeBody}`));
    const header = `t=${T},v1=${fromOld},v1=${fromNew}`;
    assert.deepEqual(
      verifier.verify({ headers: { 'stripe-signature': header }, body: Buffer.from(stripeBody) }, NOW_MS),
      {
        ok: true,
      },
    );
  });

  it('takes Shopify’s x-shopify-event-id when the webhook id is absent', () => {
    const req = { headers: { 'x-shopify-event-id': 'e-7' }, body: Buffer.alloc(0) };
    assert.equal(providerDeliveryId(parse(PRESETS.shopify!.config), req, undefined), 'e-7');
  });

  it('lets everything through with scheme none, which has no delivery id', () => {
    const config = parse({ scheme: 'none' });
    const req = { headers: {}, body: Buffer.from('anything') };
    assert.deepEqual(compileVerifier(config).verify(req, NOW_MS), { ok: true });
    assert.equal(providerDeliveryId(config, req, { id: 'x' }), undefined);
  });

  it('signs the generic hmac over the body alone by default', () => {
    const config = parse({ scheme: 'hmac', secrets: [NEW], header: 'X-Sig' });
    const body = '{"a":1}';
    const req = { headers: { 'x-sig': hmac('sha256', NEW, body) }, body: Buffer.from(body) };
    assert.deepEqual(compileVerifier(config).verify(req, NOW_MS), { ok: true });
    assert.equal(providerDeliveryId(config, req, undefined), undefined);
  });
});
