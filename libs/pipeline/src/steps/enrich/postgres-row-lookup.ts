import { Pool, type DatabaseError } from 'pg';
import { FatalRecordError, RetriableError } from '@sluice/errors';
import type { LookupRow, LookupSource, RowLookup } from './row-lookup';

/** SQLSTATE classes that mean "try again": connection exceptions, operator intervention (incl. timeouts). */
const RETRIABLE_SQLSTATE_CLASSES = new Set(['08', '53', '57', '40']);

/**
 * A lookup over a small pg pool. Each query runs with a server-side statement timeout and a
 * client-side one (for a server that does not answer at all); both give a `RetriableError`.
 */
export class PostgresRowLookup implements RowLookup {
  private readonly pool: Pool;

  constructor(private readonly source: LookupSource) {
    this.pool = new Pool({
      connectionString: source.connection,
      max: 4,
      connectionTimeoutMillis: source.timeoutMs,
      statement_timeout: source.timeoutMs,
      query_timeout: source.timeoutMs + 500,
    });
    // An idle client that loses its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
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

function classify(error: unknown): Error {
  const code = (error as DatabaseError).code;
  const message = (error as Error).message;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (RETRIABLE_SQLSTATE_CLASSES.has(code.slice(0, 2)))
      return new RetriableError(`lookup failed, will retry: ${message}`, {
        cause: error,
        code: 'LOOKUP_UNAVAILABLE',
      });
    return new FatalRecordError(`lookup query failed: ${message}`, { cause: error, code: 'LOOKUP_FAILED' });
  }
  // Network errors (ECONNREFUSED, ...) and pg's own timeouts.
  return new RetriableError(`lookup failed, will retry: ${message}`, {
    cause: error,
    code: 'LOOKUP_UNAVAILABLE',
  });
}

export function postgresRowLookup(source: LookupSource): RowLookup {
  return new PostgresRowLookup(source);
}
