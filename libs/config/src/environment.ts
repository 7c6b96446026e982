import { ConfigError } from '@sluice/errors';
import { type Environment } from './interpolate';

/** The process environment. The one place in Sluice that reads `process.env`. */
export function processEnvironment(): Environment {
  return process.env;
}

/** An integer setting from the environment (a port, say), with its default; junk is an error. */
export function envInt(name: string, fallback: number, env: Environment = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(
      `environment variable ${name}=${JSON.stringify(raw)} is not a non-negative integer`,
      'environment',
      name,
    );
  }
  return value;
}

/** A string setting from the environment with its default. */
export function envString(name: string, fallback: string, env: Environment = process.env): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** A boolean flag from the environment: 1/true/yes or 0/false/no. */
export function envFlag(name: string, fallback: boolean, env: Environment = process.env): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'no'].includes(raw)) return false;
  throw new ConfigError(
    `environment variable ${name}=${JSON.stringify(env[name])} is not a boolean (true/false)`,
    'environment',
    name,
  );
}
