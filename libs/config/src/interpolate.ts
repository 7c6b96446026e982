import { ConfigError } from '@sluice/errors';

/** The environment a configuration is interpolated against; only this lib reads `process.env`. */
export type Environment = Readonly<Record<string, string | undefined>>;

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$\{/g;

/**
 * What a missing variable without a default becomes: an error (`fail`, for an app that is about to
 * use it), or text naming it (`placeholder`, for a reader that needs no secrets, e.g. topic planning).
 */
export type UnsetVariables = 'fail' | 'placeholder';

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a parsed YAML tree; `$${` escapes a
 * literal `${`. A missing variable without a default is an error naming the YAML path, so a secret
 * that is not set never silently becomes an empty string (unless `unset` asks for a placeholder).
 */
export function interpolate(
  value: unknown,
  env: Environment,
  source: string,
  path = '',
  unset: UnsetVariables = 'fail',
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === '$${') return '${';
      const found = env[name as string];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      if (unset === 'placeholder') return `<${name} is not set in this environment>`;
      throw new ConfigError(
        `${source}: at ${path || '(root)'}: environment variable ${name} is not set (use \${${name}:-default} for a default)`,
        source,
        path,
      );
    });
  }
  if (Array.isArray(value))
    return value.map((item, i) => interpolate(item, env, source, `${path}[${i}]`, unset));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolate(item, env, source, path ? `${path}.${key}` : key, unset),
      ]),
    );
  }
  return value;
}
