/** What a verifier sees of a request: lower-cased header names, the exact body bytes. */
export interface SignedRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

/** The outcome of a check; a failure's reason is short and never holds a secret or a digest. */
export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks the signature of inbound requests under one scheme. */
export interface SignatureVerifier {
  readonly scheme: string;
  verify(request: SignedRequest, nowMs: number): Verification;
}

export const VERIFIED: Verification = Object.freeze({ ok: true });

export const refused = (reason: string): Verification => ({ ok: false, reason });

/** A header's value, or a refusal naming it when it is missing or empty. */
export function requiredHeader(request: SignedRequest, name: string): string | Verification {
  const value = request.headers[name];
  return value ? value : refused(`missing ${name} header`);
}

export const malformed = (name: string): Verification => refused(`malformed ${name} header`);

/** Whether a signed unix-seconds timestamp is within `toleranceSeconds` of `nowMs`. */
export const withinTolerance = (timestampSeconds: number, nowMs: number, toleranceSeconds: number): boolean =>
  Math.abs(nowMs / 1000 - timestampSeconds) <= toleranceSeconds;

export const OUTSIDE_TOLERANCE = 'timestamp outside tolerance';
