import { Pool } from 'pg';
import { classifyPostgresFailure, FatalRecordError, RetriableError } from '@sluice/errors';
import type { LookupRow, LookupSource, RowLookup } from './row-lookup';

/**
 * A lookup over a small pg pool. Each query runs with a server-side statement timeout and a
 * client-side one (for a server that does not answer at all); both give a `RetriableError`.
 */
export class PostgresRowLookup implements RowLookup {
  private readonly pool: Pool;

  constructor(private readonly source: LookupSource) {
    this.pool = new Pool({
      connectionString: source.connection,
      // Only when the step's `ssl` asks for TLS: otherwise the URL's own sslmode (if any) decides.
      ...(source.ssl ? { ssl: { ...source.ssl } } : {}),
      max: 4,
      connectionTimeoutMillis: source.timeoutMs,
      statement_timeout: source.timeoutMs,
      query_timeout: source.timeoutMs + 500,
    });
    // An idle client that loses its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
    // A connection cut while checked out between queries must not end the process (its query fails).
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async find(params: readonly unknown[]): Promise<LookupRow | undefined> {
    try {
      const result = await this.pool.query({ text: this.source.query, values: [...params] });
      return result.rows[0] as LookupRow | undefined;
    } catch (error) {
      throw classify(error);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * A server error the SQLSTATE calls transient (connection trouble, a rolled-back transaction, the
 * statement timeout, a server short of resources or shutting down) is retried, any other fails the
 * record; an error without a SQLSTATE (the network, pg's own timeouts) is retried.
 */
function classify(error: unknown): Error {
  const message = (error as Error).message;
  const failure = classifyPostgresFailure(error);
  if (failure?.sqlState !== undefined && !failure.transient)
    return new FatalRecordError(`lookup query failed: ${message}`, { cause: error, code: 'LOOKUP_FAILED' });
  return new RetriableError(`lookup failed, will retry: ${message}`, {
    cause: error,
    code: 'LOOKUP_UNAVAILABLE',
  });
}

export function postgresRowLookup(source: LookupSource): RowLookup {
  return new PostgresRowLookup(source);
}
