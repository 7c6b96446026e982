import { Client } from 'pg';
import { type PostgresConnectionOptions, pgClientConfig } from './postgres-connection-options';
import { classifyPostgresError } from './postgres-errors';

/** One value of a result row: Postgres's text output, or null. */
export type TextRow = Record<string, string | null>;

/**
 * A plain (non-replication) connection for the source's catalog queries, checks, heartbeats and
 * snapshot reads: every value comes back as Postgres's text output, every failure as a classified
 * Sluice error naming what was being done.
 */
export class PostgresSession {
  private constructor(private readonly client: Client) {}

  static async connect(
    options: PostgresConnectionOptions,
    applicationName?: string,
  ): Promise<PostgresSession> {
    const client = new Client(pgClientConfig(options, { applicationName }));
    client.on('error', () => undefined); // idle-socket errors surface on the next query
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classifyPostgresError(error, `Connecting to ${options.host}:${options.port}/${options.database}`);
    }
    return new PostgresSession(client);
  }

  async query<R extends object = TextRow>(
    sql: string,
    params: readonly unknown[],
    context: string,
  ): Promise<R[]> {
    try {
      return (await this.client.query<R>(sql, params as unknown[])).rows;
    } catch (error) {
      throw classifyPostgresError(error, context);
    }
  }

  /** Rows as arrays in select-list order (the snapshot's hot path: no per-row object keys). */
  async queryArrays(sql: string, params: readonly unknown[], context: string): Promise<(string | null)[][]> {
    try {
      return (
        await this.client.query<(string | null)[]>({
          text: sql,
          values: params as unknown[],
          rowMode: 'array',
        })
      ).rows;
    } catch (error) {
      throw classifyPostgresError(error, context);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
