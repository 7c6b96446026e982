import { type Logger } from '@sluice/observability';

/**
 * The YAML paths of every setting in an app's configuration that turns certificate checking off
 * (`rejectUnauthorized: false`, e.g. `kafka.tls.rejectUnauthorized`), wherever a section has that
 * switch. Certificate checks are what keep a TLS connection from being read and changed by whoever
 * sits on the path.
 */
export function unverifiedTlsSettings(config: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, path: string, depth: number): void => {
    if (depth > 12 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (key === 'rejectUnauthorized' && child === false) found.push(at);
      else walk(child, at, depth + 1);
    }
  };
  walk(config, '', 0);
  return found;
}

/**
 * Warns once per setting, at start-up, when the configuration turns certificate checking off.
 * Returns the paths it warned about. (sink-http's `destinations[].tls.verify: false` is warned by
 * the destination itself.)
 */
export function warnUnverifiedTls(config: unknown, logger: Pick<Logger, 'warn'>): string[] {
  const paths = unverifiedTlsSettings(config);
  for (const setting of paths) {
    logger.warn(
      { setting },
      `TLS CERTIFICATE VERIFICATION IS OFF (${setting}: false): anyone on the path can read and change this connection's traffic, credentials included; use it for local tests only and trust the server's CA (tls.ca) instead`,
    );
  }
  return paths;
}
