import {
  classifyPostgresFailure,
  ConfigError,
  EnvironmentError,
  RetriableError,
  type SluiceError,
} from '@sluice/errors';

/**
 * Turns whatever `pg` or the socket threw into a Sluice error saying what failed (`context`, e.g.
 * "START_REPLICATION of slot s1") and what to do; what the failure means is @sluice/errors'
 * `classifyPostgresFailure` (SQLSTATE class, socket code). The source retries a RetriableError with
 * capped backoff and stops with a clear message on the rest. Already-classified errors pass through.
 */
export function classifyPostgresError(error: unknown, context: string): SluiceError {
  if (error instanceof RetriableError || error instanceof ConfigError || error instanceof EnvironmentError) {
    return error;
  }
  const raw = (error as { message?: unknown } | null)?.message;
  const detail = typeof raw === 'string' ? raw : String(error);
  const failure = classifyPostgresFailure(error);
  const cause = { cause: error };
  if (failure?.kind === 'unreachable') {
    return new RetriableError(`${context}: ${failure.reason} (${failure.socketCode}: ${detail})`, {
      ...cause,
      code: 'PG_UNAVAILABLE',
    });
  }
  if (failure?.kind === 'connection-lost') {
    return new RetriableError(`${context}: ${failure.reason} (${detail})`, {
      ...cause,
      code: 'PG_CONNECTION_LOST',
    });
  }
  if (failure?.kind === 'tls') {
    return new EnvironmentError(
      `${context}: TLS to Postgres failed, ${failure.reason} (${failure.socketCode ?? 'no TLS'}: ${detail}); ` +
        'check postgres.ssl: mode, and ca (the CA that signed the server certificate)',
      { ...cause, code: 'PG_TLS' },
    );
  }
  if (failure?.sqlState === undefined) {
    return new EnvironmentError(`${context}: ${detail}`, { ...cause, code: 'PG_UNEXPECTED' });
  }
  const at = `${context}: ${detail} (SQLSTATE ${failure.sqlState})`;
  switch (failure.kind) {
    case 'object-in-use':
      // A slot held by another walsender: a previous instance still shutting down (retry clears it)
      // or two sources configured with the same slot (the repeated error says so).
      return new RetriableError(
        `${at}; another process holds the replication slot — if no other Sluice source uses this slot ` +
          `name, wait for the old connection to end or terminate it with pg_terminate_backend(active_pid)`,
        { ...cause, code: 'PG_SLOT_IN_USE' },
      );
    case 'authentication':
      return new EnvironmentError(
        `${at}; check the user name and password of the source's Postgres connection`,
        {
          ...cause,
          code: 'PG_AUTHENTICATION',
        },
      );
    case 'privilege':
      return new EnvironmentError(
        `${at}; grant the source's role what it needs: REPLICATION (ALTER ROLE <role> REPLICATION), ` +
          `SELECT on the captured tables, and ownership of the tables to create a publication for them`,
        { ...cause, code: 'PG_PERMISSION' },
      );
    case 'missing-database':
      return new ConfigError(
        `${at}; the configured database does not exist`,
        undefined,
        'postgres.database',
        cause,
      );
    case 'missing-object':
      return new EnvironmentError(`${at}; the object does not exist (slot or publication dropped?)`, {
        ...cause,
        code: 'PG_MISSING_OBJECT',
      });
    case 'prerequisite':
      return new EnvironmentError(`${at}; the server is not in the state replication needs`, {
        ...cause,
        code: 'PG_PREREQUISITE',
      });
    default:
      return failure.transient
        ? new RetriableError(`${at}; ${failure.reason}, will retry`, { ...cause, code: 'PG_UNAVAILABLE' })
        : new EnvironmentError(at, { ...cause, code: 'PG_ERROR' });
  }
}
