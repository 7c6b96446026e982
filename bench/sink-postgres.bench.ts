// sink-postgres throughput (issue #6): rows per second written into the target Postgres by the sink
// (batched unnest upserts, offsets in the same transaction, LWW on) draining a topic of CDC events
// of ~1 KB rows — beside the baseline from the same run: the same rows written by a plain
// single-row `INSERT … ON CONFLICT` loop with pg (one autocommitted statement per row).
//
// The input topic is loaded once; each sink run drains it from the beginning with a fresh group
// into a fresh schema. The sink runs as its own process (`node main.js`), as deployed; its rate is
// timed from the first committed offset in the target's offsets table to the last (process start,
// group join and table creation are not counted). The baseline writes the first `baselineRows` of
// the same rows (its rate per row is steady; the whole set would take minutes).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import { Client } from 'pg';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { stackAddresses, uniqueName, stopChild } from '@sluice/test-support';
import {
  ChangeEventWriter,
  freePort,
  kafkaConfig,
  orderRow,
  type OrderRow,
  untilLeaders,
  untilReady,
} from '../test/integration/transformer/transformer-harness';
import { type BenchFigure } from './support/bench-figure';

export interface SinkPostgresBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const PARTITIONS = 4;
const SINK_MAIN = join(__dirname, '..', 'apps', 'sink-postgres', 'src', 'main.js');
const NOTE = 'n'.repeat(900);

/** A ~1 KB row: the order with a 900-character note. */
const row = (i: number): OrderRow => ({ ...orderRow(i), note: `${i} ${NOTE}` });

async function sinkDatabase(): Promise<Client> {
  const client = new Client({ ...stackAddresses().postgres, database: 'sink' });
  await client.connect();
  return client;
}

async function preload(total: number): Promise<string> {
  const kafka = createKafkaClient({ ...kafkaConfig, clientId: 'sluice-bench-sink-postgres' });
  const admin = kafka.admin();
  await admin.connect();
  const input = uniqueName('bench.sinkpg.in');
  await new TopicProvisioner(admin).provision([
    { name: input, partitions: PARTITIONS, replicationFactor: 1 },
  ]);
  await untilLeaders(admin, input);
  await admin.disconnect();
  const writer = new ChangeEventWriter(kafka, input, 'bench.public.orders');
  const chunk = 10_000;
  for (let from = 0; from < total; from += chunk) {
    const records = [];
    for (let i = from; i < Math.min(total, from + chunk); i++)
      records.push(await writer.encode(row(i), true));
    await writer.write(records, 1_000);
  }
  return input;
}

/** The sink draining `input` into a fresh schema; rows/s from its first commit to the last. */
async function sinkRun(db: Client, input: string, total: number, tracing: boolean): Promise<number> {
  const schema = uniqueName('bench_sinkpg').replace(/[^a-z0-9_]/g, '_');
  const group = `${schema}.group`;
  await db.query(`CREATE SCHEMA ${schema}`);
  const port = await freePort();
  const stack = stackAddresses();
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-sinkpg-')), 'sink.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      group,
      topics: [input],
      tables: { [input]: { table: 'orders' } },
      target: { ...stack.postgres, database: 'sink', schema, bookkeepingSchema: schema },
      runtime: { concurrency: { partitions: PARTITIONS } },
      kafka: { brokers: stack.kafkaBrokers, clientId: 'sluice-bench-sink-postgres' },
      registry: { url: stack.registryUrl },
      http: { host: '127.0.0.1', port },
      logging: { level: 'error' },
      // Default tracing (one trace in ten sampled and exported); off: the write path alone.
      ...(tracing ? {} : { tracing: { enabled: false } }),
    }),
  );
  const child: ChildProcess = spawn(process.execPath, [SINK_MAIN, '--config', file], {
    env: appProcessEnv(process.env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await untilReady(`http://127.0.0.1:${port}/health/live`);
    const done = async () => {
      const { rows } = await db
        .query<{ n: string | null }>(`SELECT sum(next_offset) AS n FROM ${schema}.sluice_sink_offsets`)
        .catch(() => ({ rows: [{ n: null }] }));
      return Number(rows[0]?.n ?? 0);
    };
    const deadline = Date.now() + 600_000;
    let first: { at: number; done: number } | undefined;
    for (;;) {
      const n = await done();
      const at = performance.now();
      if (!first && n > 0) first = { at, done: n };
      if (n >= total) {
        if (!first || at === first.at) throw new Error('finished within one poll: load more records');
        const [{ count }] = (
          await db.query<{ count: string }>(`SELECT count(*) AS count FROM ${schema}.orders`)
        ).rows;
        if (Number(count) !== total) throw new Error(`the sink wrote ${count} rows of ${total}`);
        return (total - first.done) / ((at - first.at) / 1000);
      }
      if (Date.now() > deadline) throw new Error(`only ${n} of ${total} offsets committed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await stopChild(child);
    await db.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
  }
}

/** The baseline: one autocommitted `INSERT … ON CONFLICT DO UPDATE` per row, same columns. */
async function singleRowLoop(db: Client, rows: number): Promise<number> {
  const table = uniqueName('bench_sinkpg_single').replace(/[^a-z0-9_]/g, '_');
  await db.query(
    `CREATE TABLE public.${table} (id bigint PRIMARY KEY, email text, region text, total double precision, note text)`,
  );
  try {
    const started = performance.now();
    for (let i = 0; i < rows; i++) {
      const r = row(i);
      await db.query(
        `INSERT INTO public.${table} (id, email, region, total, note) VALUES ($1, $2, $3, $4, $5) ` +
          `ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, region = EXCLUDED.region, ` +
          `total = EXCLUDED.total, note = EXCLUDED.note`,
        [r.id, r.email, r.region, r.total, r.note],
      );
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await db.query(`DROP TABLE public.${table}`).catch(() => undefined);
  }
}

export async function benchSinkPostgres(options: SinkPostgresBenchOptions): Promise<BenchFigure[]> {
  const total = options.quick ? 20_000 : 200_000;
  const baselineRows = options.quick ? 2_000 : 20_000;
  const input = await preload(total);
  const db = await sinkDatabase();
  const sink: number[] = [];
  const traced: number[] = [];
  const single: number[] = [];
  try {
    for (let run = 0; run < options.runs; run++) {
      single.push(await singleRowLoop(db, baselineRows));
      sink.push(await sinkRun(db, input, total, false));
      traced.push(await sinkRun(db, input, total, true));
      process.stderr.write(
        `bench: sink-postgres run ${run + 1}: sink ${Math.round(sink.at(-1)!)} rows/s (tracing off), ` +
          `${Math.round(traced.at(-1)!)} rows/s (default tracing, 10% sampled), single-row loop ${Math.round(single.at(-1)!)} rows/s\n`,
      );
    }
  } finally {
    await db.end();
    const kafka = createKafkaClient({ ...kafkaConfig, clientId: 'sluice-bench-sink-postgres' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [input] }).catch(() => undefined);
    await admin.disconnect();
  }
  const rows = total.toLocaleString('en-US');
  const baseline = {
    name: `pg single-row INSERT … ON CONFLICT loop, autocommit (${baselineRows.toLocaleString('en-US')} of the same rows)`,
    runs: single,
  };
  return [
    {
      name: `sink-postgres drain, CDC events of ~1 KB rows, batched upserts + offsets in one transaction, tracing off (${rows} rows)`,
      unit: 'rows/s',
      runs: sink,
      baseline,
      goal: '>= 10x the single-row loop',
    },
    {
      name: `sink-postgres drain, same, default tracing (10% of records traced and exported) (${rows} rows)`,
      unit: 'rows/s',
      runs: traced,
      baseline,
    },
  ];
}
