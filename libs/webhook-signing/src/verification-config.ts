import { z } from 'zod';
import { wholeNumberOr } from '@sluice/config';

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');

const secrets = z
  .array(z.string().min(1))
  .min(1)
  .describe(
    'Shared secrets; use ${ENV_VAR}. A request verified by any one of them is accepted, so during a ' +
      'rotation list the new and the old secret. Required.',
  );

const toleranceSeconds = wholeNumberOr(1, 300).describe(
  'How far (seconds, either direction) the signed timestamp may be from the clock. Default 300.',
);

/** An endpoint's `verify:` section: how the signature of an inbound webhook is checked. */
export const verificationConfigSchema = z
  .discriminatedUnion('scheme', [
    z.strictObject({
      scheme: z
        .literal('sluice')
        .describe(
          'Which scheme: sluice, stripe, github, shopify, slack, hmac or none. sluice: X-Sluice-Signature ' +
            '(t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">), as Sluice\'s HTTP sink signs.',
        ),
      secrets,
      toleranceSeconds,
    }),
    z.strictObject({
      scheme: z
        .literal('stripe')
        .describe('stripe: Stripe-Signature (t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">).'),
      secrets,
      toleranceSeconds,
    }),
    z.strictObject({
      scheme: z
        .literal('github')
        .describe('github: X-Hub-Signature-256 (sha256=<hex HMAC-SHA256 of the body>).'),
      secrets,
    }),
    z.strictObject({
      scheme: z
        .literal('shopify')
        .describe('shopify: X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the body).'),
      secrets,
    }),
    z.strictObject({
      scheme: z
        .literal('slack')
        .describe(
          'slack: X-Slack-Signature (v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<body>">).',
        ),
      secrets,
      toleranceSeconds,
    }),
    z.strictObject({
      scheme: z
        .literal('hmac')
        .describe('hmac: a generic HMAC signature header, described by the fields below.'),
      secrets,
      header: headerName.describe('hmac: the header carrying the signature. Required with hmac.'),
      algorithm: z
        .enum(['sha1', 'sha256', 'sha512'])
        .default('sha256')
        .describe('hmac: the hash. Default sha256.'),
      encoding: z
        .enum(['hex', 'base64'])
        .default('hex')
        .describe('hmac: how the digest is written. Default hex.'),
      prefix: z
        .string()
        .default('')
        .describe('hmac: text before the digest in the header, e.g. sha256=. Default none.'),
      signed: z
        .enum(['body', 'timestamp-body'])
        .default('body')
        .describe(
          'hmac: what is signed: the raw body, or timestamp-body (the timestampHeader value, the separator, ' +
            'the raw body). Default body.',
        ),
      timestampHeader: headerName
        .optional()
        .describe('hmac: the header carrying the unix-seconds timestamp. Required with timestamp-body.'),
      separator: z
        .string()
        .default('.')
        .describe('hmac: between timestamp and body with timestamp-body. Default ".".'),
      toleranceSeconds,
      deliveryIdHeader: headerName
        .optional()
        .describe("hmac: the header carrying the provider's delivery id, for deduplication. Default none."),
    }),
    z.strictObject({
      scheme: z.literal('none').describe('none: no verification, for local testing only.'),
    }),
  ])
  .superRefine((config, ctx) => {
    if (config.scheme === 'hmac' && config.signed === 'timestamp-body' && !config.timestampHeader)
      ctx.addIssue({
        code: 'custom',
        path: ['timestampHeader'],
        message: 'required when signed is timestamp-body',
      });
  })
  .describe(
    'Verifies the signature of every inbound request before it is accepted; a request failing it is refused.',
  );

export type VerificationConfig = z.output<typeof verificationConfigSchema>;
export type VerificationConfigInput = z.input<typeof verificationConfigSchema>;
