import { ConfigError, EnvironmentError, RetriableError, type SluiceError } from '@sluice/errors';

// Postgres failures classified once, where they are born (SQLSTATE classes from the Postgres docs'
// "Error Codes" appendix; Node socket codes for the network). The source retries a RetriableError
// with capped backoff and stops with a clear message on the rest.
const RETRIABLE_SQLSTATES: Readonly<Record<string, string>> = {
  '57P01': 'the server is shutting down or the connection was terminated by an administrator',
  '57P02': 'the server crashed and is restarting',
  '57P03': 'the server is starting up and cannot accept connections yet',
  '57P05': 'the session was closed by idle_session_timeout',
  '53300': 'the server has too many connections',
  '40001': 'a serialization failure',
  '40P01': 'a deadlock',
};
const RETRIABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

interface ErrorLike {
  message?: unknown;
  code?: unknown;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as ErrorLike | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** `SLOT_IN_USE` etc.: the SQLSTATE of a pg error, when it has one. */
export function postgresErrorCode(error: unknown): string | undefined {
  return sqlState(error);
}

/**
 * Turns whatever `pg` or the socket threw into a Sluice error saying what failed (`context`, e.g.
 * "START_REPLICATION of slot s1") and what to do. Already-classified errors pass through.
 */
export function classifyPostgresError(error: unknown, context: string): SluiceError {
  if (error instanceof RetriableError || error instanceof ConfigError || error instanceof EnvironmentError) {
    return error;
  }
  const raw = (error as ErrorLike | null)?.message;
  const detail = typeof raw === 'string' ? raw : String(error);
  const state = sqlState(error);
  const socketCode = (error as ErrorLike | null)?.code;
  const cause = { cause: error };
  if (state === undefined) {
    if (typeof socketCode === 'string' && RETRIABLE_SOCKET_CODES.has(socketCode)) {
      return new RetriableError(`${context}: Postgres is unreachable (${socketCode}: ${detail})`, {
        ...cause,
        code: 'PG_UNAVAILABLE',
      });
    }
    // pg's own "Connection terminated unexpectedly" / "Connection terminated": the socket closed.
    if (/connection terminated|ended unexpectedly|not queryable|closed/i.test(detail)) {
      return new RetriableError(`${context}: the Postgres connection was lost (${detail})`, {
        ...cause,
        code: 'PG_CONNECTION_LOST',
      });
    }
    return new EnvironmentError(`${context}: ${detail}`, { ...cause, code: 'PG_UNEXPECTED' });
  }
  const at = `${context}: ${detail} (SQLSTATE ${state})`;
  const retriableReason = RETRIABLE_SQLSTATES[state];
  if (retriableReason !== undefined || state.startsWith('08')) {
    return new RetriableError(`${at}; ${retriableReason ?? 'a connection failure'}, will retry`, {
      ...cause,
      code: 'PG_UNAVAILABLE',
    });
  }
  switch (state) {
    case '55006':
      // A slot held by another walsender: a previous instance still shutting down (retry clears it)
      // or two sources configured with the same slot (the repeated error says so).
      return new RetriableError(
        `${at}; another process holds the replication slot — if no other Sluice source uses this slot ` +
          `name, wait for the old connection to end or terminate it with pg_terminate_backend(active_pid)`,
        { ...cause, code: 'PG_SLOT_IN_USE' },
      );
    case '28000':
    case '28P01':
      return new EnvironmentError(
        `${at}; check the user name and password of the source's Postgres connection`,
        {
          ...cause,
          code: 'PG_AUTHENTICATION',
        },
      );
    case '42501':
      return new EnvironmentError(
        `${at}; grant the source's role what it needs: REPLICATION (ALTER ROLE <role> REPLICATION), ` +
          `SELECT on the captured tables, and ownership of the tables to create a publication for them`,
        { ...cause, code: 'PG_PERMISSION' },
      );
    case '3D000':
      return new ConfigError(
        `${at}; the configured database does not exist`,
        undefined,
        'postgres.database',
        cause,
      );
    case '42704':
      return new EnvironmentError(`${at}; the object does not exist (slot or publication dropped?)`, {
        ...cause,
        code: 'PG_MISSING_OBJECT',
      });
    case '55000':
      return new EnvironmentError(`${at}; the server is not in the state replication needs`, {
        ...cause,
        code: 'PG_PREREQUISITE',
      });
    default:
      return new EnvironmentError(at, { ...cause, code: 'PG_ERROR' });
  }
}
