import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig } from '@sluice/config';
import { ConfigError } from '@sluice/errors';
import { verificationConfigSchema } from './verification-config';

const schema = z.strictObject({ verify: verificationConfigSchema });
const parse = (verify: unknown, env: Record<string, string> = {}) =>
  parseConfig(schema, { verify }, { source: 'endpoints.yaml', env }).verify;

const refuses = (verify: unknown, path: string, message: RegExp) =>
  assert.throws(
    () => parse(verify),
    (e: unknown) => e instanceof ConfigError && e.path === path && message.test(e.message),
  );

describe('verificationConfigSchema', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parse({ scheme: 'stripe', secrets: ['s'] }), {
      scheme: 'stripe',
      secrets: ['s'],
      toleranceSeconds: 300,
    });
    assert.deepEqual(parse({ scheme: 'hmac', secrets: ['s'], header: 'X-Sig' }), {
      scheme: 'hmac',
      secrets: ['s'],
      header: 'X-Sig',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      signed: 'body',
      separator: '.',
      toleranceSeconds: 300,
    });
  });

  it('takes secrets and the tolerance from the environment', () => {
    const verify = parse(
      { scheme: 'slack', secrets: ['${SLACK_SECRET}'], toleranceSeconds: '${TOLERANCE}' },
      { SLACK_SECRET: 'abc', TOLERANCE: '60' },
    );
    assert.deepEqual(verify, { scheme: 'slack', secrets: ['abc'], toleranceSeconds: 60 });
  });

  it('refuses an unknown scheme, naming verify.scheme', () => {
    refuses({ scheme: 'paypal', secrets: ['s'] }, 'verify.scheme', /at verify\.scheme/);
  });

  it('refuses empty secrets, naming verify.secrets', () => {
    refuses({ scheme: 'github', secrets: [] }, 'verify.secrets', /at verify\.secrets/);
    refuses({ scheme: 'github', secrets: [''] }, 'verify.secrets[0]', /at verify\.secrets\[0\]/);
  });

  it('refuses hmac without a header, naming verify.header', () => {
    refuses({ scheme: 'hmac', secrets: ['s'] }, 'verify.header', /at verify\.header/);
  });

  it('refuses hmac timestamp-body without a timestampHeader', () => {
    refuses(
      { scheme: 'hmac', secrets: ['s'], header: 'X-Sig', signed: 'timestamp-body' },
      'verify.timestampHeader',
      /required when signed is timestamp-body/,
    );
  });

  it('refuses a setting its scheme does not have', () => {
    refuses({ scheme: 'github', secrets: ['s'], toleranceSeconds: 10 }, 'verify', /toleranceSeconds/);
  });
});
