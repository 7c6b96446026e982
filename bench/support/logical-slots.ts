// Shared by the Postgres benchmarks: the ceiling (Postgres's own pg_recvlogical with pgoutput into
// /dev/null over a WAL range) and dropping a slot once its walsender let go of it.
import { spawn } from 'node:child_process';
import type { Client } from 'pg';
import type { Lsn } from '@sluice/postgres-cdc';

export interface PostgresAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Seconds pg_recvlogical takes to read `slot` up to `endpos` (pgoutput, proto 1) into /dev/null. */
export async function recvlogicalSeconds(
  pg: PostgresAddress,
  database: string,
  slot: string,
  publication: string,
  endpos: Lsn,
): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'pg_recvlogical',
      [
        '-d',
        `host=${pg.host} port=${pg.port} user=${pg.user} dbname=${database}`,
        '--slot',
        slot,
        '--start',
        '-o',
        'proto_version=1',
        '-o',
        `publication_names=${publication}`,
        '--endpos',
        endpos.toString(),
        '--no-loop',
        '-f',
        '/dev/null',
      ],
      { env: { ...process.env, PGPASSWORD: pg.password }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_recvlogical exited ${code}: ${stderr}`)),
    );
  });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Drops `slot` (if it exists): a stopped walsender releases its slot a moment after the client closed. */
export async function dropSlotWhenReleased(admin: Client, slot: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { rows } = await admin.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [
      slot,
    ]);
    if (rows.length === 0) return;
    if (rows[0].active_pid === null || attempt > 100) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await admin.query('SELECT pg_drop_replication_slot($1)', [slot]);
}
