// Configuration mistakes are ConfigErrors naming where they are: the settings through the app's
// own schema (parseConfig), and what only the endpoint can check — its expressions and its schema
// file — when the app is created, before it connects anywhere.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { sourceWebhookConnector } from '@sluice/source-webhook';
import { assertConfigError } from '@sluice/test-support';
import { type EndpointConfig, WebhookTestBed } from './source-webhook-harness';

const bed = new WebhookTestBed();

const endpoint = (name: string, extra: Record<string, unknown> = {}): EndpointConfig => ({
  name,
  path: `/webhooks/${name}`,
  topic: `it-webhook-config-${name}`,
  verify: { scheme: 'none' },
  ...extra,
});

const parse = (raw: unknown) => parseConfig(sourceWebhookConnector.configSchema, raw);

describe('source-webhook: configuration errors name their path', () => {
  after(() => bed.cleanup());

  it('a valid configuration parses, with its defaults', () => {
    const config = parse(bed.config([endpoint('a'), endpoint('b', { path: '/statusboard' })]));
    assert.equal(config.name, 'source-webhook');
    assert.equal(config.endpoints[1]!.path, '/statusboard');
    assert.deepEqual(config.endpoints[0]!.contentTypes, ['application/json']);
    assert.equal(config.endpoints[0]!.maxBodyBytes, 524_288);
  });

  it('no endpoint', () => {
    assertConfigError(() => parse(bed.config([])), 'endpoints', /at least one endpoint/);
  });

  it('duplicate endpoint names', () => {
    const config = bed.config([endpoint('a'), { ...endpoint('a'), path: '/other' }]);
    assertConfigError(() => parse(config), 'endpoints', /endpoint names must be unique/);
  });

  it('duplicate endpoint paths', () => {
    const config = bed.config([endpoint('a'), { ...endpoint('b'), path: '/webhooks/a' }]);
    assertConfigError(() => parse(config), 'endpoints', /endpoint paths must be unique/);
  });

  it('a path the app serves itself (/status, /health/..., /connectors/..., /metrics, /docs)', () => {
    for (const path of ['/status', '/health/live', '/connectors/x', '/metrics', '/docs'])
      assertConfigError(
        () => parse(bed.config([endpoint('a'), endpoint('b', { path })])),
        'endpoints[1].path',
        /taken by the app/,
      );
  });

  it('a path that is not one', () => {
    assertConfigError(
      () => parse(bed.config([endpoint('a', { path: 'webhooks/a' })])),
      'endpoints[0].path',
      /expected a path/,
    );
  });

  it('a bad topic name', () => {
    assertConfigError(
      () => parse(bed.config([endpoint('a', { topic: 'orders from stripe' })])),
      'endpoints[0].topic',
      /Kafka topic name/,
    );
  });

  it('an unknown key, in an endpoint and at the top', () => {
    assertConfigError(() => parse(bed.config([endpoint('a', { secret: 'x' })])), 'endpoints[0]', /secret/);
    assertConfigError(() => parse({ ...bed.config([endpoint('a')]), endpoint: [] }), '(root)', /endpoint/);
  });

  it('verification settings: an unknown scheme, a missing secret, hmac timestamp-body without its header', () => {
    assertConfigError(
      () => parse(bed.config([endpoint('a', { verify: { scheme: 'paypal', secrets: ['s'] } })])),
      'endpoints[0].verify.scheme',
      /./,
    );
    assertConfigError(
      () => parse(bed.config([endpoint('a', { verify: { scheme: 'stripe', secrets: [] } })])),
      'endpoints[0].verify.secrets',
      /./,
    );
    const hmac = { scheme: 'hmac', secrets: ['s'], header: 'x-sig', signed: 'timestamp-body' };
    assertConfigError(
      () => parse(bed.config([endpoint('a', { verify: hmac })])),
      'endpoints[0].verify.timestampHeader',
      /required when signed is timestamp-body/,
    );
  });

  it('a rate limit of zero', () => {
    assertConfigError(
      () => parse(bed.config([endpoint('a', { rateLimit: { perSecond: 0 } })])),
      'endpoints[0].rateLimit.perSecond',
      /./,
    );
  });

  describe('found when the app is created (before it connects anywhere)', () => {
    const create = (endpoints: EndpointConfig[], baseDir?: string) =>
      bed.startApp(bed.config(endpoints), baseDir !== undefined ? { baseDir } : {});

    /** Asserts that creating the app rejects with a ConfigError whose message starts with `path`. */
    async function rejectsWith(run: Promise<unknown>, path: string, message: RegExp): Promise<void> {
      await assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
        assert.ok(error.message.startsWith(`${path}: `), error.message);
        assert.match(error.message, message);
        return true;
      });
    }

    it('a key expression that does not parse', async () => {
      const creating = create([endpoint('a'), endpoint('orders', { key: 'data.object.(customer' })]);
      await rejectsWith(creating, 'endpoints[orders].key', /at character \d+/);
      await assert.rejects(creating, { path: 'endpoints[orders].key' });
    });

    it('a deliveryId or eventType expression that does not parse', async () => {
      await rejectsWith(
        create([endpoint('a', { deliveryId: "$headers['x-id'" })]),
        'endpoints[a].deliveryId',
        /./,
      );
      await rejectsWith(create([endpoint('a', { eventType: 'type ==' })]), 'endpoints[a].eventType', /./);
    });

    it('a schema file that does not exist', async () => {
      await rejectsWith(
        create([endpoint('a', { schema: { file: 'missing.avsc' } })], bed.tempDir()),
        'endpoints[a].schema.file',
        /cannot read .*missing\.avsc/,
      );
    });

    // With several endpoints, the error must say which endpoint's file is broken.
    it('a schema file that is not a valid Avro schema', async () => {
      const dir = bed.tempDir();
      writeFileSync(
        join(dir, 'broken.avsc'),
        JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x' }] }),
      );
      await rejectsWith(
        create([endpoint('a', { schema: { file: 'broken.avsc' } })], dir),
        'endpoints[a].schema.file',
        /broken\.avsc/,
      );
    });
  });
});
