import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';

/** PEM files of the local stack's certificate authority and the loopback server certificate it signed. */
export interface StackCertificates {
  /** The folder holding them. */
  dir: string;
  /** The CA certificate: what a client trusts (`ssl.ca`, `ssl.truststore`). */
  caCert: string;
  /** The CA's private key (to sign more certificates, e.g. a client's). */
  caKey: string;
  /** The server certificate, for `localhost`, `127.0.0.1` and `::1`. */
  serverCert: string;
  /** The server's private key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`). */
  serverKey: string;
}

/** The names the loopback server certificate is valid for. */
export const LOOPBACK_NAMES: readonly string[] = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key' };

/**
 * A CA and a server certificate for the loopback addresses in `dir` (e.g. `<stack home>/tls`),
 * made with `openssl` the first time and reused afterwards. Made in a scratch folder and renamed
 * into place, so two processes asking at once both end with the same complete set.
 */
export function stackCertificates(
  dir: string,
  log: (line: string) => void = () => undefined,
): StackCertificates {
  const paths = certificatePaths(dir);
  if (Object.values(FILES).every((file) => existsSync(join(dir, file)))) return paths;
  mkdirSync(dirname(dir), { recursive: true });
  const scratch = `${dir}.partial-${process.pid}-${Date.now()}`;
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    const made = certificatePaths(scratch);
    makeCertificateAuthority(made.caCert, made.caKey, 'Sluice local stack CA');
    issueCertificate(made, { certFile: made.serverCert, keyFile: made.serverKey, commonName: 'localhost' });
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another process put its set in place first: use that one.
      if (!Object.values(FILES).every((file) => existsSync(join(dir, file)))) throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`generated a CA and a server certificate for localhost/127.0.0.1 in ${dir}`);
  return paths;
}

function certificatePaths(dir: string): StackCertificates {
  return {
    dir,
    caCert: join(dir, FILES.caCert),
    caKey: join(dir, FILES.caKey),
    serverCert: join(dir, FILES.serverCert),
    serverKey: join(dir, FILES.serverKey),
  };
}

/** A self-signed CA certificate and its key (RSA 2048, ten years). */
export function makeCertificateAuthority(certFile: string, keyFile: string, commonName: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '3650',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    `making the CA ${certFile}`,
  );
  chmodSync(keyFile, 0o600);
}

/**
 * A certificate signed by `ca` (its `caCert` and `caKey`): for a server by default, valid for
 * `names` (subjectAltName entries, the loopback ones by default); `client: true` for client
 * authentication instead (e.g. a Postgres user's certificate, whose common name is the user).
 */
export function issueCertificate(
  ca: Pick<StackCertificates, 'caCert' | 'caKey'>,
  options: {
    certFile: string;
    keyFile: string;
    commonName: string;
    names?: readonly string[];
    client?: boolean;
  },
): void {
  const csr = `${options.certFile}.csr`;
  const ext = `${options.certFile}.ext`;
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      `extendedKeyUsage=${options.client ? 'clientAuth' : 'serverAuth'}`,
      ...(options.client ? [] : [`subjectAltName=${(options.names ?? LOOPBACK_NAMES).join(',')}`]),
      '',
    ].join('\n'),
  );
  try {
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        options.keyFile,
        '-out',
        csr,
        '-subj',
        `/CN=${options.commonName}`,
      ],
      `making the key ${options.keyFile}`,
    );
    chmodSync(options.keyFile, 0o600);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca.caCert,
        '-CAkey',
        ca.caKey,
        '-set_serial',
        `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
        '-days',
        '825',
        '-sha256',
        '-extfile',
        ext,
        '-out',
        options.certFile,
      ],
      `signing the certificate ${options.certFile}`,
    );
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
}

function openssl(args: string[], what: string): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new EnvironmentError(`${what}: openssl is not installed (the local stack's TLS needs it)`, {
      code: 'OPENSSL_MISSING',
    });
  }
  if (result.status !== 0) {
    const out = `${result.stderr ?? ''}${result.error?.message ?? ''}`
      .trim()
      .split('\n')
      .slice(-2)
      .join(' | ');
    throw new EnvironmentError(`${what} failed: ${out}`, { code: 'OPENSSL_FAILED' });
  }
}
