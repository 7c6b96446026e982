/** Where a warning goes: a pino logger, or the CLI's stderr. */
export interface TlsWarningSink {
  warn(fields: { setting: string }, message: string): void;
}

/**
 * The YAML paths of every setting in a configuration that leaves the server's certificate
 * unchecked, wherever a section has that switch: `rejectUnauthorized: false` (e.g.
 * `kafka.tls.rejectUnauthorized`), and a Postgres `ssl` whose `mode` is `require` without a `ca`
 * (encrypted, the server not verified; e.g. `postgres.ssl.mode`). Certificate checks are what keep
 * a TLS connection from being read and changed by whoever sits on the path.
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
      else if (key === 'ssl' && unverifiedPostgresSsl(child)) found.push(`${at}.mode`);
      else walk(child, at, depth + 1);
    }
  };
  walk(config, '', 0);
  return found;
}

/** `postgresSslSchema`'s `require` without `ca`: libpq's sslmode=require (with a root cert it is verify-ca). */
function unverifiedPostgresSsl(ssl: unknown): boolean {
  if (ssl === null || typeof ssl !== 'object') return false;
  const { mode, ca } = ssl as { mode?: unknown; ca?: unknown };
  return mode === 'require' && ca === undefined;
}

/** The one warning line for a setting `unverifiedTlsSettings` found. */
export function unverifiedTlsWarning(setting: string): string {
  if (setting.endsWith('.mode'))
    return `TLS CERTIFICATE VERIFICATION IS OFF (${setting}: require): the connection is encrypted but the server is not verified, so anyone on the path can pose as it and read and change its traffic, credentials included; use mode verify-full with the server's CA (${setting.slice(0, -'.mode'.length)}.ca) instead`;
  return `TLS CERTIFICATE VERIFICATION IS OFF (${setting}: false): anyone on the path can read and change this connection's traffic, credentials included; use it for local tests only and trust the server's CA (tls.ca) instead`;
}

/**
 * Warns once per setting, at start-up, when the configuration leaves a server's certificate
 * unchecked. `prefix` is where `config` sits (e.g. `pipeline` for a transformer's pipeline file).
 * Returns the paths it warned about. (sink-http's `destinations[].tls.verify: false` is warned by
 * the destination itself.)
 */
export function warnUnverifiedTls(config: unknown, logger: TlsWarningSink, prefix = ''): string[] {
  const paths = unverifiedTlsSettings(config).map((path) => (prefix === '' ? path : `${prefix}.${path}`));
  for (const setting of paths) logger.warn({ setting }, unverifiedTlsWarning(setting));
  return paths;
}
