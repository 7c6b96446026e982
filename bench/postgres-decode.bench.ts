// Ceiling of the Postgres CDC decode path: the same WAL range (N single-row transactions of ~1 KB)
// read by Postgres's own pg_recvlogical with pgoutput into /dev/null (the baseline the issue names)
// and by Sluice's ReplicationStream + PgOutputDecoder (no Avro, no Kafka). Each run reads from a
// fresh copy of one slot created before the data, so every run decodes exactly the same WAL.
import { Client } from 'pg';
import { Lsn, ReplicationConnection, type PostgresConnectionOptions } from '@sluice/postgres-cdc';
import type { BenchFigure } from './support/bench-figure';
import { dropSlotWhenReleased, type PostgresAddress, recvlogicalSeconds } from './support/logical-slots';

export interface DecodeBenchOptions {
  runs: number;
  quick: boolean;
  postgres: PostgresAddress;
  /** Transactions in the WAL range; default 80,000 (10,000 with quick). */
  transactions?: number;
}

async function sluiceStream(
  options: PostgresConnectionOptions,
  slot: string,
  publication: string,
  endpos: Lsn,
): Promise<{ seconds: number; commits: number }> {
  const started = process.hrtime.bigint();
  const connection = await ReplicationConnection.connect(options);
  const stream = await connection.startReplication({ slot, publications: [publication], protoVersion: 1 });
  let commits = 0;
  try {
    for (;;) {
      const { value, done } = await stream.next();
      if (done) throw new Error('stream ended before the end of the range');
      if (value.message.type === 'commit') {
        commits++;
        if (!value.message.endLsn.isBefore(endpos)) break;
      }
    }
  } finally {
    await stream.stop();
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, commits };
}

export async function benchPostgresDecode(options: DecodeBenchOptions): Promise<BenchFigure[]> {
  const count = options.transactions ?? (options.quick ? 10_000 : 80_000);
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  const table = `bench_decode_${suffix}`;
  const publication = `bench_decode_pub_${suffix}`;
  const origin = `bench_decode_origin_${suffix}`;
  const connection: PostgresConnectionOptions = { ...options.postgres, database: 'source' };
  const admin = new Client(connection);
  await admin.connect();
  const slots = [origin];
  try {
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text)`);
    await admin.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [origin]);
    process.stderr.write(`  writing ${count.toLocaleString('en-US')} single-row transactions of ~1 KB\n`);
    await admin.query(
      `DO $$ BEGIN FOR i IN 1..${count} LOOP INSERT INTO ${table} VALUES (i, repeat(md5(i::text), 32)); COMMIT; END LOOP; END $$`,
    );
    const [{ lsn }] = (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
    const endpos = Lsn.parse(lsn);
    const baseline: number[] = [];
    const ours: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      for (const which of ['recv', 'sluice'] as const) {
        const slot = `bench_decode_${which}${run}_${suffix}`;
        await admin.query('SELECT pg_copy_logical_replication_slot($1, $2)', [origin, slot]);
        slots.push(slot);
        if (which === 'recv') {
          baseline.push(
            count / (await recvlogicalSeconds(options.postgres, 'source', slot, publication, endpos)),
          );
        } else {
          const { seconds, commits } = await sluiceStream(connection, slot, publication, endpos);
          if (commits < count) throw new Error(`ReplicationStream read ${commits} of ${count} transactions`);
          ours.push(count / seconds);
        }
        await dropSlotWhenReleased(admin, slot);
        slots.pop();
      }
    }
    return [
      {
        name: `ReplicationStream + PgOutputDecoder, ${count.toLocaleString('en-US')} single-row txns of ~1 KB`,
        unit: 'txn/s',
        runs: ours,
        baseline: { name: 'pg_recvlogical pgoutput > /dev/null', runs: baseline },
      },
    ];
  } finally {
    for (const slot of slots)
      await admin.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    await admin.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
  }
}
