import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@sluice/errors';

/**
 * libpq's `sslmode` values Sluice supports: `disable` (plain TCP), `require` (encrypted, the server
 * not verified), `verify-ca` (the server's chain checked against `ca`, its name not),
 * `verify-full` (chain and host name checked). libpq's `allow` and `prefer` (fall back to plain
 * TCP) are left out: a connection that is silently unencrypted is what `ssl` exists to prevent.
 */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

const pem = z.string().min(1);

/**
 * The `ssl` setting of every Postgres connection Sluice makes (source, sink, the enrich step's
 * lookups, the schema registry's storage). The schema is also its documentation.
 */
export const postgresSslSchema = z
  .strictObject({
    mode: z
      .enum(POSTGRES_SSL_MODES)
      .default('disable')
      .describe(
        "As libpq's sslmode: disable, require (encrypted, server not verified; with ca set, as verify-ca), verify-ca (chain checked against ca, host name not), verify-full (chain and host name checked). Default disable.",
      ),
    ca: pem
      .optional()
      .describe(
        "CA certificate(s) to trust: a PEM file (relative to the configuration file) or the PEM itself from ${ENV_VAR}. Required by verify-ca; verify-full without it trusts Node's bundled roots. E.g. RDS's global-bundle.pem.",
      ),
    cert: pem
      .optional()
      .describe(
        'Client certificate (PEM file or PEM from ${ENV_VAR}), for certificate authentication. Requires key.',
      ),
    key: pem
      .optional()
      .describe('Private key of the client certificate (PEM file or PEM from ${ENV_VAR}). Requires cert.'),
  })
  .superRefine((ssl, ctx) => {
    // Certificates with TLS off would be silently ignored: the operator would believe the connection
    // verified when it goes out in plain text. Refuse instead.
    if (ssl.mode === 'disable') {
      for (const field of ['ca', 'cert', 'key'] as const) {
        if (ssl[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: `${field} is set but mode is disable` });
      }
    }
    if (ssl.mode === 'verify-ca' && ssl.ca === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ca'],
        message: "required by verify-ca (a public CA's chain with no host name check proves nothing)",
      });
    }
    if ((ssl.cert === undefined) !== (ssl.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [ssl.cert === undefined ? 'cert' : 'key'],
        message: 'cert and key go together: set both or neither',
      });
    }
  })
  .prefault({});

export type PostgresSslConfig = z.output<typeof postgresSslSchema>;

/**
 * node-postgres's `ssl` option (Node's `tls.connect` options) for a mode other than `disable`:
 * the PEM texts and how the server is checked.
 */
export interface PostgresTlsOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized: boolean;
  /** Present (accepting any name) for verify-ca: the chain is checked, the host name is not. */
  readonly checkServerIdentity?: () => undefined;
}

/** Where the `ssl` setting is, so an error can say "<file>: at postgres.ssl.ca: ...". */
export interface PostgresSslLocation {
  /** The folder relative file paths are resolved against (the configuration file's). */
  readonly baseDir: string;
  /** The YAML path of the `ssl` setting, e.g. `postgres.ssl`. */
  readonly path: string;
  /** The configuration file (or other source), for error messages. Default `configuration`. */
  readonly source?: string;
}

const acceptAnyName = (): undefined => undefined;

/**
 * The validated `ssl` setting as node-postgres's `ssl` option, reading `ca`, `cert` and `key`
 * (files, or PEM given inline) once: a wrong path stops the start-up with the file and the YAML
 * path named, rather than every connection attempt failing in the TLS handshake. `false` for
 * `disable`.
 */
export function postgresTlsOptions(
  ssl: PostgresSslConfig,
  where: PostgresSslLocation,
): PostgresTlsOptions | false {
  if (ssl.mode === 'disable') return false;
  const material: { ca?: string; cert?: string; key?: string } = {};
  for (const field of ['ca', 'cert', 'key'] as const) {
    const value = ssl[field];
    if (value !== undefined) material[field] = readPem(value, field, where);
  }
  // libpq: `require` with a root certificate checks the chain, as verify-ca does.
  const verifyChain = ssl.mode !== 'require' || material.ca !== undefined;
  return {
    ...material,
    rejectUnauthorized: verifyChain,
    ...(ssl.mode === 'verify-full' || !verifyChain ? {} : { checkServerIdentity: acceptAnyName }),
  };
}

/** PEM given inline (from `${ENV_VAR}`), or read from a file relative to `baseDir`. */
function readPem(value: string, field: 'ca' | 'cert' | 'key', where: PostgresSslLocation): string {
  const source = where.source ?? 'configuration';
  const path = `${where.path}.${field}`;
  if (value.includes('-----BEGIN ')) {
    // A PEM squeezed onto one line by an environment variable (`\n` written as two characters).
    return value.includes('\n') ? value : value.replaceAll('\\n', '\n');
  }
  const file = isAbsolute(value) ? value : resolve(where.baseDir, value);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new ConfigError(
      `${source}: at ${path}: cannot read the TLS file ${file} (${reason})`,
      source,
      path,
      {
        cause,
      },
    );
  }
  // Node's TLS takes PEM only: a DER or empty file would otherwise fail later, in the handshake.
  if (!text.includes('-----BEGIN ')) {
    throw new ConfigError(
      `${source}: at ${path}: the TLS file ${file} is not PEM (no "-----BEGIN" line)`,
      source,
      path,
    );
  }
  return text;
}
