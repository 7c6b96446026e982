import { envInt, envString } from '@sluice/config';

/**
 * Where the local stack's parts answer. The same environment variables as `sluice stack`
 * (SLUICE_KAFKA_PORT, SLUICE_POSTGRES_PORT, SLUICE_REGISTRY_PORT) move them.
 */
export interface StackAddresses {
  kafkaBrokers: string[];
  postgres: { host: string; port: number; user: string; password: string };
  registryUrl: string;
}

export function stackAddresses(): StackAddresses {
  const host = '127.0.0.1';
  return {
    kafkaBrokers: [`${host}:${envInt('SLUICE_KAFKA_PORT', 9092)}`],
    postgres: {
      host,
      port: envInt('SLUICE_POSTGRES_PORT', 5433),
      user: envString('SLUICE_POSTGRES_USER', 'postgres'),
      password: envString('SLUICE_POSTGRES_PASSWORD', 'postgres'),
    },
    registryUrl: `http://${host}:${envInt('SLUICE_REGISTRY_PORT', 8081)}`,
  };
}

/** A name unique to this test run, for topics, groups, subjects and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
