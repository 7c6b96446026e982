import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { type VerificationConfig } from './verification-config';
import {
  malformed,
  OUTSIDE_TOLERANCE,
  refused,
  requiredHeader,
  type SignatureVerifier,
  type SignedRequest,
  type Verification,
  VERIFIED,
  withinTolerance,
} from './signature-verifier';
import { WebhookSignature } from './webhook-signature';

const MISMATCH = 'signature mismatch';

/** How a scheme writes an HMAC into a header (every scheme but sluice/stripe's `t=…,v1=…`). */
interface HmacFormat {
  readonly header: string;
  readonly algorithm: 'sha1' | 'sha256' | 'sha512';
  readonly encoding: 'hex' | 'base64';
  /** Text before the digest in the header. */
  readonly prefix: string;
  /** When a timestamp is signed: its header and how it is joined to the body. */
  readonly timestamp?: {
    readonly header: string;
    /** Signed content: `<before><timestamp><separator><body>`. */
    readonly before: string;
    readonly separator: string;
    readonly toleranceSeconds: number;
  };
}

const DIGEST_TEXT = { hex: /^[0-9a-fA-F]+$/, base64: /^[A-Za-z0-9+/]+={0,2}$/ } as const;

/** An HMAC over the raw body (optionally preceded by a signed timestamp), any of several secrets. */
class HmacVerifier implements SignatureVerifier {
  /** KeyObjects made once: an HMAC keyed by a string imports the key on every request. */
  private readonly keys: KeyObject[];

  constructor(
    readonly scheme: string,
    secrets: readonly string[],
    private readonly format: HmacFormat,
  ) {
    this.keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  }

  verify(request: SignedRequest, nowMs: number): Verification {
    const { header, encoding, prefix, timestamp } = this.format;
    const value = requiredHeader(request, header);
    if (typeof value !== 'string') return value;
    const digest = value.startsWith(prefix) ? value.slice(prefix.length).trim() : '';
    if (!DIGEST_TEXT[encoding].test(digest)) return malformed(header);
    let signedPrefix = '';
    if (timestamp) {
      const t = requiredHeader(request, timestamp.header);
      if (typeof t !== 'string') return t;
      if (!/^\d+$/.test(t.trim())) return malformed(timestamp.header);
      if (!withinTolerance(Number(t), nowMs, timestamp.toleranceSeconds)) return refused(OUTSIDE_TOLERANCE);
      signedPrefix = `${timestamp.before}${t.trim()}${timestamp.separator}`;
    }
    const given = Buffer.from(digest, encoding);
    const matches = this.keys.some((key) => {
      const expected = createHmac(this.format.algorithm, key)
        .update(signedPrefix)
        .update(request.body)
        .digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    return matches ? VERIFIED : refused(MISMATCH);
  }
}

/** `t=<unix s>,v1=<hex>[,v1=…]` over `<t>.<raw body>`: Sluice's own scheme, and Stripe's. */
class TimestampedV1Verifier implements SignatureVerifier {
  private readonly signers: WebhookSignature[];

  constructor(
    readonly scheme: string,
    private readonly header: string,
    secrets: readonly string[],
    private readonly toleranceSeconds: number,
  ) {
    this.signers = secrets.map((secret) => new WebhookSignature(secret));
  }

  verify(request: SignedRequest, nowMs: number): Verification {
    const value = requiredHeader(request, this.header);
    if (typeof value !== 'string') return value;
    const { t, v1 } = WebhookSignature.parse(value);
    if (!Number.isInteger(t) || v1.length === 0) return malformed(this.header);
    if (!withinTolerance(t, nowMs, this.toleranceSeconds)) return refused(OUTSIDE_TOLERANCE);
    // The header parsed once; each secret's HMAC computed once.
    return this.signers.some((signer) => signer.matches(t, v1, request.body)) ? VERIFIED : refused(MISMATCH);
  }
}

const UNVERIFIED: SignatureVerifier = Object.freeze({ scheme: 'none', verify: () => VERIFIED });

/** The verifier of an endpoint's `verify:` section. */
export function compileVerifier(config: VerificationConfig): SignatureVerifier {
  const sha256Hex = { algorithm: 'sha256', encoding: 'hex' } as const;
  switch (config.scheme) {
    case 'sluice':
      return new TimestampedV1Verifier(
        'sluice',
        'x-sluice-signature',
        config.secrets,
        config.toleranceSeconds,
      );
    case 'stripe':
      return new TimestampedV1Verifier('stripe', 'stripe-signature', config.secrets, config.toleranceSeconds);
    case 'github':
      return new HmacVerifier('github', config.secrets, {
        ...sha256Hex,
        header: 'x-hub-signature-256',
        prefix: 'sha256=',
      });
    case 'shopify':
      return new HmacVerifier('shopify', config.secrets, {
        header: 'x-shopify-hmac-sha256',
        algorithm: 'sha256',
        encoding: 'base64',
        prefix: '',
      });
    case 'slack':
      return new HmacVerifier('slack', config.secrets, {
        ...sha256Hex,
        header: 'x-slack-signature',
        prefix: 'v0=',
        timestamp: {
          header: 'x-slack-request-timestamp',
          before: 'v0:',
          separator: ':',
          toleranceSeconds: config.toleranceSeconds,
        },
      });
    case 'hmac':
      return new HmacVerifier('hmac', config.secrets, {
        header: config.header.toLowerCase(),
        algorithm: config.algorithm,
        encoding: config.encoding,
        prefix: config.prefix,
        timestamp:
          config.signed === 'timestamp-body'
            ? {
                header: config.timestampHeader!.toLowerCase(),
                before: '',
                separator: config.separator,
                toleranceSeconds: config.toleranceSeconds,
              }
            : undefined,
      });
    case 'none':
      return UNVERIFIED;
  }
}
