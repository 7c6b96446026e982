import { ConfigError } from '@sluice/errors';

/** The environment a configuration is interpolated against; only this lib reads `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$\{/g;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree; `$${` escapes a
 * literal `${`. A missing variable without a default is an error naming the YAML path, so a secret
 * that is not set never silently becomes an empty string.
 */
export function interpolate(value: unknown, env: Environment, source: string, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name as string];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        `${source}: at ${path || '(root)'}: environment variable ${name} is not set (use \${${name}:-default} for a default)`,
        source,
        path,
      );
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, source, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolate(item, env, source, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}
