/**
 * Kafka's answers that no retry changes: credentials refused, or an operation not permitted. Every
 * other kafkajs failure (a broker gone, a request timed out, a group rebalancing, the client's own
 * state after a crash) may pass, and a consumer or producer started again recovers from it.
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

/** True for a kafkajs error (or one caused by it) that says trying again cannot help. */
export function isPermanentKafkaFailure(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const { name, type } = cause as Error & { type?: unknown };
    if (PERMANENT_NAMES.has(name) || (typeof type === 'string' && PERMANENT_TYPES.has(type))) return true;
    cause = cause.cause;
  }
  return false;
}
