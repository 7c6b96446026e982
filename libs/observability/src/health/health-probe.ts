import { Client } from 'pg';
import type { PostgresTlsOptions } from '@sluice/config';

/** What one probe found. `details` show in the Terminus response under the probe's name. */
export interface ProbeResult {
  readonly up: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One thing a liveness or readiness check looks at. */
export interface HealthProbe {
  readonly name: string;
  check(): ProbeResult | Promise<ProbeResult>;
}

/** What `/health/live` and `/health/ready` look at. */
export interface HealthProbes {
  readonly live: readonly HealthProbe[];
  readonly ready: readonly HealthProbe[];
}

/** A component's phase and last error, as every Sluice component's `status()` reports them. */
export interface PhaseState<P extends string> {
  readonly phase: P;
  readonly lastError?: string | { readonly message: string } | undefined;
}

/** Up while `healthy(phase)`; down with the phase and last error otherwise. */
export function phaseProbe<P extends string>(
  name: string,
  state: () => PhaseState<P>,
  healthy: (phase: P) => boolean,
): HealthProbe {
  return {
    name,
    check: () => {
      const { phase, lastError } = state();
      if (healthy(phase)) return { up: true, details: { phase } };
      const error = typeof lastError === 'string' ? lastError : lastError?.message;
      return { up: false, details: { phase, ...(error !== undefined ? { error } : {}) } };
    },
  };
}

/**
 * A dependency that must answer (Kafka, Postgres, the registry): `reach` resolves when it does.
 * Down when it rejects or takes longer than `timeoutMs`; the error message is the detail.
 */
export function reachabilityProbe(
  name: string,
  reach: () => Promise<unknown>,
  timeoutMs = 3000,
): HealthProbe {
  return {
    name,
    check: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([reach(), timeout]);
        return { up: true };
      } catch (error) {
        return { up: false, details: { error: error instanceof Error ? error.message : String(error) } };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * A GET that must answer 2xx (the schema registry's `/subjects`, say), with basic auth if given.
 * Credentials in the URL itself become basic auth too and never appear in a probe's answer.
 */
export function httpReachable(
  url: string,
  auth?: { readonly username: string; readonly password: string },
): () => Promise<void> {
  const target = new URL(url);
  const credentials =
    auth ??
    (target.username || target.password
      ? { username: decodeURIComponent(target.username), password: decodeURIComponent(target.password) }
      : undefined);
  target.username = '';
  target.password = '';
  const headers: Record<string, string> = credentials
    ? {
        authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
      }
    : {};
  const shown = target.href;
  return async () => {
    const response = await fetch(shown, { headers, signal: AbortSignal.timeout(5000) }).catch(
      (error: unknown) => {
        throw new Error(`GET ${shown} failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    await response.body?.cancel();
    if (!response.ok) throw new Error(`GET ${shown} answered ${response.status}`);
  };
}

/** Where a Postgres database answers (any Sluice config's connection section has these fields). */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** node-postgres's `ssl` option (`postgresTlsOptions` of the connection's `ssl` setting). */
  readonly ssl?: boolean | PostgresTlsOptions;
}

/** A short connection and `SELECT 1`: the database answers. */
export function postgresReachable(connection: PostgresConnection): () => Promise<void> {
  return async () => {
    const { host, port, user, password, database, ssl } = connection;
    const client = new Client({
      host,
      port,
      user,
      password,
      database,
      ssl: ssl === true ? {} : ssl ? { ...ssl } : false,
      connectionTimeoutMillis: 3000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}

/** Consumer-group membership as a StreamRuntime reports it: up only as a settled member. */
export function groupMembershipProbe(
  membership: () => { readonly group: string; readonly membership: string },
): HealthProbe {
  return {
    name: 'consumer-group',
    check: () => {
      const state = membership();
      return {
        up: state.membership === 'member',
        details: { group: state.group, membership: state.membership },
      };
    },
  };
}
