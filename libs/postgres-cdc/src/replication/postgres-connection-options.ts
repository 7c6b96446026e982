import type { ClientConfig } from 'pg';
import type { PostgresTlsOptions } from '@sluice/config';

/** Where and as whom the source connects to Postgres. */
export interface PostgresConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  /**
   * TLS: the `ssl` setting as `postgresTlsOptions` made it (PEM read, verification decided), true
   * for Node's bundled CAs with full verification, false or absent for plain TCP.
   */
  readonly ssl?: boolean | PostgresTlsOptions;
  /** Shown in pg_stat_activity / pg_stat_replication. */
  readonly applicationName?: string;
  readonly connectTimeoutMs?: number;
}

/**
 * Session settings for every source connection, replication and snapshot alike: pgoutput prints
 * values with the walsender session's output settings, and the snapshot reads them with its own,
 * so both must agree for a row to look the same whichever path delivered it (UTC timestamps in ISO
 * form, shortest exact floats, bytea as `\x` hex).
 */
export const TEXT_OUTPUT_SETTINGS =
  '-c datestyle=ISO,MDY -c timezone=UTC -c intervalstyle=postgres -c extra_float_digits=3 -c bytea_output=hex';

/** Every value as Postgres's text output, unparsed: the same strings pgoutput sends. */
const rawText = (value: string): string => value;
const RAW_TEXT_TYPES = { getTypeParser: () => rawText } as unknown as ClientConfig['types'];

export function pgClientConfig(
  options: PostgresConnectionOptions,
  extra: { replication?: boolean; applicationName?: string } = {},
): ClientConfig {
  return {
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    ssl: options.ssl === true ? {} : options.ssl ? { ...options.ssl } : undefined,
    application_name: extra.applicationName ?? options.applicationName ?? 'sluice-source-postgres',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A peer gone without a reset (a dropped network path) is noticed instead of waited on for ever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: TEXT_OUTPUT_SETTINGS,
    types: RAW_TEXT_TYPES,
    ...(extra.replication ? { replication: 'database' } : {}),
  } as ClientConfig;
}
