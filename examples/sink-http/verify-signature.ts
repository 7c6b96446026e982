// Verifying a Sluice webhook signature in a Node receiver (docs/sink-http.md quotes this file; the
// sink-http suites run it against every request the sink sends). Plain Node, no Sluice import.
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when `header` (the `X-Sluice-Signature` value, `t=<unix seconds>,v1=<hex>`) signs `rawBody`
 * (the exact bytes received, before any JSON parsing) with `secret`, and its timestamp is within
 * `toleranceSeconds` of now (refuses replays of old requests).
 */
export function verifySluiceSignature(
  header: string | undefined,
  rawBody: Buffer,
  secret: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.split('=', 2);
    if (name?.trim() === 't') timestamp = value?.trim();
    if (name?.trim() === 'v1' && value) signatures.push(value.trim());
  }
  if (!timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  return signatures.some((hex) => {
    const given = Buffer.from(hex, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
