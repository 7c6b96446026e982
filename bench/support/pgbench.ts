import { execFile } from 'node:child_process';

export interface PgbenchRun {
  /** Transactions per second pgbench achieved (excluding connection time). */
  readonly tps: number;
}

export interface PgbenchLoad {
  /** Transactions per second offered (`--rate`: pgbench schedules them, whatever the server does). */
  readonly rate: number;
  readonly seconds: number;
  /** Connections; each waits for its commit before its next transaction. */
  readonly clients: number;
}

/**
 * Runs Debian's pgbench with the custom `script` (a file) against `database`: load from its own
 * process, so the writer does not share the event loop or the CPU budget of what is measured.
 */
export function pgbench(
  postgres: { host: string; port: number; user: string; password: string },
  database: string,
  script: string,
  load: PgbenchLoad,
): Promise<PgbenchRun> {
  const args = ['-n', '-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user];
  args.push('-c', String(load.clients), '-j', String(Math.min(2, load.clients)));
  args.push('-R', String(load.rate), '-T', String(load.seconds), '-f', script, database);
  return new Promise((resolve, reject) => {
    execFile(
      'pgbench',
      args,
      { env: { ...process.env, PGPASSWORD: postgres.password }, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`pgbench failed: ${error.message}\n${stderr}`));
        const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
        if (!tps) return reject(new Error(`pgbench: no tps in its output:\n${stdout}`));
        resolve({ tps: Number(tps[1]) });
      },
    );
  });
}
