import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** The header a signed request carries: `X-Sluice-Signature: t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'X-Sluice-Signature';

/**
 * HMAC-SHA256 request signatures (the scheme Stripe and others use): the signed content is the
 * timestamp in unix seconds, a dot, and the exact body bytes; the header carries both the timestamp
 * and the hex digest, `t=1700000000,v1=5257a8...`. A receiver recomputes the HMAC over
 * `<t>.<raw body>` with the shared secret, compares in constant time, and refuses timestamps too
 * far from its clock (replays). `v1` names the scheme so a future one can be added beside it.
 */
export class WebhookSignature {
  /** A KeyObject made once: an HMAC keyed by a string or Buffer imports the key on every request. */
  private readonly secret: KeyObject;

  constructor(secret: string | Buffer) {
    const bytes = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
    if (bytes.length === 0) throw new RangeError('the signing secret is empty');
    this.secret = createSecretKey(bytes);
  }

  /** The header value for `body` sent at `timestampSeconds`. */
  header(body: Buffer, timestampSeconds: number): string {
    return `t=${timestampSeconds},v1=${this.digest(body, timestampSeconds)}`;
  }

  /**
   * Checks a header against the body: true when a `v1` digest matches and the timestamp is within
   * `toleranceSeconds` of `nowSeconds`.
   */
  verify(header: string, body: Buffer, nowSeconds: number, toleranceSeconds = 300): boolean {
    const { t, v1 } = WebhookSignature.parse(header);
    if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
    return this.matches(t, v1, body);
  }

  /** Whether one of the `v1` hex digests is this secret's HMAC of `<t>.<body>` (constant-time). */
  matches(t: number, v1: readonly string[], body: Buffer): boolean {
    const expected = this.digestBytes(body, t);
    return v1.some((candidate) => {
      const given = Buffer.from(candidate, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  /** The parts of a header: `t` (NaN when absent or not a number) and every `v1` given. */
  static parse(header: string): { t: number; v1: string[] } {
    const parts = new Map<string, string[]>();
    for (const item of header.split(',')) {
      const at = item.indexOf('=');
      if (at <= 0) continue;
      const name = item.slice(0, at).trim();
      parts.set(name, [...(parts.get(name) ?? []), item.slice(at + 1).trim()]);
    }
    const t = parts.get('t')?.[0];
    return { t: t && /^\d+$/.test(t) ? Number(t) : NaN, v1: parts.get('v1') ?? [] };
  }

  private digest(body: Buffer, timestampSeconds: number): string {
    return this.digestBytes(body, timestampSeconds).toString('hex');
  }

  private digestBytes(body: Buffer, timestampSeconds: number): Buffer {
    return createHmac('sha256', this.secret).update(`${timestampSeconds}.`).update(body).digest();
  }
}
