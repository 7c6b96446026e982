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
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const { name, type, code } = cause as Error & { type?: unknown; code?: unknown };
    if (PERMANENT_NAMES.has(name) || (typeof type === 'string' && PERMANENT_TYPES.has(type))) return true;
    if (typeof code === 'string' && UNTRUSTED_CERTIFICATE_CODES.has(code)) return true;
    cause = cause.cause;
  }
  return false;
}
