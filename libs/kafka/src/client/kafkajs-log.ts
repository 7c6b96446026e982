import { type logCreator, logLevel } from 'kafkajs';

/** kafkajs's message for CONCURRENT_TRANSACTIONS (error code 51). */
const CONCURRENT_TRANSACTIONS =
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

/**
 * A transaction's first send right after the previous commit meets CONCURRENT_TRANSACTIONS while
 * the coordinator writes the commit markers; the broker expects the client to retry, and kafkajs
 * does (createProducer's first retry after TRANSACTIONAL_FIRST_RETRY_MS) — but logs each at ERROR, twice. Under load that
 * is a pair of error lines per transaction for something that is no error: they go to DEBUG.
 */
function isExpectedRetry(entry: object): boolean {
  const { error, message } = entry as { error?: unknown; message?: unknown };
  // The connection logs the error beside its message; the producer's send loop puts it in the
  // message ("Failed to send messages: …").
  return (
    error === CONCURRENT_TRANSACTIONS ||
    (typeof message === 'string' && message.endsWith(CONCURRENT_TRANSACTIONS))
  );
}

/**
 * kafkajs's own console log lines (one JSON object per entry, `level` its label), except that the
 * retries the protocol expects (see isExpectedRetry) are logged at DEBUG, so only when the client's
 * level is debug.
 */
export const kafkajsConsoleLog: logCreator =
  (level) =>
  ({ namespace, level: entryLevel, label, log }) => {
    const demoted = entryLevel <= logLevel.WARN && isExpectedRetry(log);
    if (demoted && level < logLevel.DEBUG) return;
    const line = JSON.stringify({
      level: demoted ? 'DEBUG' : label,
      ...log,
      message: `${namespace ? `[${namespace}] ` : ''}${log.message}`,
    });
    if (demoted || entryLevel === logLevel.DEBUG) console.log(line);
    else if (entryLevel === logLevel.ERROR) console.error(line);
    else if (entryLevel === logLevel.WARN) console.warn(line);
    else console.info(line);
  };
