/**
 * Kafka's answers that no retry changes: credentials refused, an operation not permitted, or a
 * broker certificate the client does not trust. Every other kafkajs failure (a broker gone, a
 * request timed out, a group rebalancing, the client's own state after a crash) may pass, and a
 * consumer or producer started again recovers from it.
 */
const PERMANENT_TYPES: ReadonlySet<string> = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);
const SASL_TYPES: ReadonlySet<string> = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);
const PERMANENT_NAMES: ReadonlySet<string> = new Set(['KafkaJSSASLAuthenticationError']);
/**
 * Node's codes for a server certificate that does not verify (OpenSSL's X509 verification results,
 * and the host name check), which kafkajs copies onto its connection error as `code`: the same
 * certificate is refused on every attempt until someone changes the CA or the certificate.
 */
const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True for a kafkajs error (or one caused by it) that says trying again cannot help. */
export function isPermanentKafkaFailure(error: unknown): boolean {
  return isSaslRefusal(error) || untrustedCertificateCode(error) !== undefined || refusedAccess(error);
}

/**
 * Node's code for a server certificate that does not verify, on the error or one of its causes
 * (kafkajs copies it onto its connection error), e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`.
 */
export function untrustedCertificateCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const { code } = cause as Error & { code?: unknown };
    if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) return code;
    cause = cause.cause;
  }
  return undefined;
}

/**
 * What to change for a permanent Kafka failure, for the one error line an app logs: the SASL
 * settings for refused credentials, the CA for an untrusted certificate. Undefined otherwise.
 */
export function kafkaFailureHint(error: unknown, path = 'kafka'): string | undefined {
  if (isSaslRefusal(error))
    return `check ${path}.sasl username, password and mechanism (the broker refused them)`;
  const code = untrustedCertificateCode(error);
  if (code !== undefined) return `the broker's certificate is not trusted (${code}): check ${path}.tls.ca`;
  return undefined;
}

function isSaslRefusal(error: unknown): boolean {
  return someCause(error, ({ name, type }) => PERMANENT_NAMES.has(name) || SASL_TYPES.has(type ?? ''));
}

function refusedAccess(error: unknown): boolean {
  return someCause(error, ({ type }) => PERMANENT_TYPES.has(type ?? ''));
}

function someCause(error: unknown, test: (e: { name: string; type?: string }) => boolean): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const { type } = cause as Error & { type?: unknown };
    if (test({ name: cause.name, ...(typeof type === 'string' && { type }) })) return true;
    cause = cause.cause;
  }
  return false;
}
