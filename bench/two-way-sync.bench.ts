// Two-way sync (issue #21): rows per second that converge in both directions at once, and the p99
// time for a change to appear on the other side at half that rate — each beside one-way
// replication of the same load (goal: two-way >= 70% of one-way's rate).
//
// Two databases of the local stack (`source` = A, `sink` = B), the apps as child processes as in
// the integration suites (test/integration/two-way-sync-harness.ts): two-way as `sluice sync plan`
// derives them (origins, origin filter, last-writer-wins with merge, REPLICA IDENTITY FULL); the
// baseline plain A → B replication (source-a and sink-a-to-b without sync, origin or filter) of
// the same tables, started once each and kept for every run.
//
// Rate: each side inserts its share of new rows (multi-row INSERTs of 2,000, far faster than the
// sync), timed from the first insert until both databases hold every row: two-way, half the rows
// written on each side; one-way, all on A. Latency: inserts paced at half the two-way rate (ticks
// of 50 ms), a trigger stamping each row with clock_timestamp() on its insert — on the writing
// side when written, on the other side when the sink wrote it; one Postgres server, one clock —
// the difference per row is its time to the other side. The integration suite
// (two-way-sync-convergence) runs 20 s of random load for the property; this runs longer.
import { type Client } from 'pg';
import { type Site, TwoWayBed } from '../test/integration/two-way-sync-harness';
import { type BenchFigure, percentile, summarise } from './support/bench-figure';

export interface TwoWaySyncBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const RATE_TABLE = 'bench_items';
const LATENCY_TABLE = 'latency_items';
const CHUNK = 2000;
/** Key ranges: run r of a measurement writes ids from (r + 1) · SPAN, site b in the upper half. */
const SPAN = 1_000_000;

/** The latency table's stamp: clock_timestamp() of the insert, wherever (and by whoever) it runs. */
async function stampTrigger(client: Client, qualified: string): Promise<void> {
  if (!qualified.endsWith(`.${LATENCY_TABLE}`)) return;
  const schema = qualified.split('.')[0];
  await client.query(`ALTER TABLE ${qualified} ADD COLUMN stamped_at double precision`);
  await client.query(
    `CREATE OR REPLACE FUNCTION ${schema}.stamp() RETURNS trigger LANGUAGE plpgsql AS ` +
      `$$ BEGIN NEW.stamped_at := extract(epoch FROM clock_timestamp()) * 1000; RETURN NEW; END $$`,
  );
  await client.query(
    `CREATE TRIGGER stamp BEFORE INSERT ON ${qualified} FOR EACH ROW EXECUTE FUNCTION ${schema}.stamp()`,
  );
}

const writers = (bed: TwoWayBed): Site[] => (bed.mode === 'two-way' ? ['a', 'b'] : ['a']);
const firstId = (run: number, site: Site) => (run + 1) * SPAN + (site === 'b' ? SPAN / 2 : 0);

async function countIn(bed: TwoWayBed, site: Site, table: string, from: number, to: number): Promise<number> {
  const { rows } = await bed
    .client(site)
    .query<{ n: string }>(`SELECT count(*) AS n FROM ${bed.table(table)} WHERE id >= $1 AND id < $2`, [
      from,
      to,
    ]);
  return Number(rows[0].n);
}

/** Until both databases hold the rows each writing site wrote (`written`) in its range of `run`. */
async function untilEverywhere(
  bed: TwoWayBed,
  table: string,
  run: number,
  written: (site: Site) => number,
): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    let done = true;
    for (const writer of writers(bed))
      for (const site of ['a', 'b'] as const) {
        const from = firstId(run, writer);
        const count = written(writer);
        if ((await countIn(bed, site, table, from, from + count)) < count) done = false;
      }
    if (done) return;
    if (Date.now() > deadline) throw new Error(`${bed.mode}: run ${run} did not converge within 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `total` new rows split among the writing sites, inserted at once; rows/s until both hold them all. */
async function rateRun(bed: TwoWayBed, run: number, total: number): Promise<number> {
  const sites = writers(bed);
  const perSite = total / sites.length;
  const started = performance.now();
  await Promise.all(
    sites.map(async (site) => {
      const client = await bed.connect(site);
      try {
        const from = firstId(run, site);
        for (let at = from; at < from + perSite; at += CHUNK)
          await client.query(
            `INSERT INTO ${bed.table(RATE_TABLE)} (id, v, n) SELECT g, $3 || g, 0 FROM generate_series($1::int, $2::int) g`,
            [at, Math.min(at + CHUNK, from + perSite) - 1, `${site}:`],
          );
      } finally {
        await client.end();
      }
    }),
  );
  await untilEverywhere(bed, RATE_TABLE, run, () => perSite);
  return total / ((performance.now() - started) / 1000);
}

/** Inserts paced at `rate` rows/s in all for `durationMs`; each row's time to the other side (ms). */
async function latencyRun(bed: TwoWayBed, run: number, rate: number, durationMs: number): Promise<number[]> {
  const sites = writers(bed);
  const tickMs = 50;
  const perTick = rate / sites.length / (1000 / tickMs);
  const written = new Map<Site, number>();
  await Promise.all(
    sites.map(async (site) => {
      const client = await bed.connect(site);
      try {
        const from = firstId(run, site);
        const started = performance.now();
        let owed = 0;
        let next = from;
        for (let tick = 1; performance.now() - started < durationMs; tick++) {
          owed += perTick;
          const count = Math.floor(owed);
          owed -= count;
          if (count > 0) {
            await client.query(
              `INSERT INTO ${bed.table(LATENCY_TABLE)} (id, v, n) SELECT g, $3 || g, 0 FROM generate_series($1::int, $2::int) g`,
              [next, next + count - 1, `${site}:`],
            );
            next += count;
          }
          const wait = started + tick * tickMs - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        written.set(site, next - from);
      } finally {
        await client.end();
      }
    }),
  );
  await untilEverywhere(bed, LATENCY_TABLE, run, (site) => written.get(site)!);
  const stamps = async (site: Site, from: number, count: number) =>
    new Map(
      (
        await bed
          .client(site)
          .query<{ id: number; at: number }>(
            `SELECT id, stamped_at AS at FROM ${bed.table(LATENCY_TABLE)} WHERE id >= $1 AND id < $2`,
            [from, from + count],
          )
      ).rows.map((r) => [r.id, r.at]),
    );
  const latencies: number[] = [];
  for (const site of sites) {
    const from = firstId(run, site);
    const here = await stamps(site, from, written.get(site)!);
    const there = await stamps(site === 'a' ? 'b' : 'a', from, written.get(site)!);
    for (const [id, at] of here) latencies.push(there.get(id)! - at);
  }
  return latencies;
}

export async function benchTwoWaySync(options: TwoWaySyncBenchOptions): Promise<BenchFigure[]> {
  const total = options.quick ? 10_000 : 100_000;
  const latencyMs = options.quick ? 2_000 : 60_000;
  const tables = [RATE_TABLE, LATENCY_TABLE];
  // Both beds start side by side (their start-up is not measured); one that failed to open does
  // not leave the other running.
  const [opened, openedOneWay] = await Promise.allSettled([
    TwoWayBed.open('bench_tw', tables, { prepare: stampTrigger }),
    TwoWayBed.open('bench_ow', tables, { prepare: stampTrigger, mode: 'one-way' }),
  ]);
  if (opened.status === 'rejected' || openedOneWay.status === 'rejected') {
    for (const bed of [opened, openedOneWay])
      if (bed.status === 'fulfilled') await bed.value.close().catch(() => undefined);
    throw opened.status === 'rejected' ? opened.reason : (openedOneWay as PromiseRejectedResult).reason;
  }
  const twoWay = opened.value;
  const oneWay = openedOneWay.value;
  const rates = { two: [] as number[], one: [] as number[] };
  const p99 = { two: [] as number[], one: [] as number[] };
  try {
    for (const bed of [twoWay, oneWay]) for (const table of tables) await bed.converged(table, 120_000);
    for (let run = 0; run < options.runs; run++) {
      rates.two.push(await rateRun(twoWay, run, total));
      rates.one.push(await rateRun(oneWay, run, total));
      process.stderr.write(
        `bench: two-way-sync run ${run + 1}: two-way ${Math.round(rates.two.at(-1)!)} rows/s, ` +
          `one-way ${Math.round(rates.one.at(-1)!)} rows/s\n`,
      );
    }
    const half = summarise(rates.two).median / 2;
    for (let run = 0; run < options.runs; run++) {
      const two = await latencyRun(twoWay, run, half, latencyMs);
      const one = await latencyRun(oneWay, run, half, latencyMs);
      p99.two.push(percentile(two, 99));
      p99.one.push(percentile(one, 99));
      process.stderr.write(
        `bench: two-way-sync latency run ${run + 1} at ${Math.round(half)} rows/s: two-way p50 ` +
          `${Math.round(percentile(two, 50))} ms, p99 ${Math.round(p99.two.at(-1)!)} ms (${two.length} rows); ` +
          `one-way p50 ${Math.round(percentile(one, 50))} ms, p99 ${Math.round(p99.one.at(-1)!)} ms (${one.length} rows)\n`,
      );
    }
  } finally {
    await oneWay.close();
    await twoWay.close();
  }
  const rows = total.toLocaleString('en-US');
  return [
    {
      name: `two-way sync: rows/s converged on both databases, half written on each side at once (${rows} rows per run)`,
      unit: 'rows/s',
      runs: rates.two,
      baseline: { name: `one-way replication A → B of the same rows (all written on A)`, runs: rates.one },
      goal: '>= 70% of one-way (ratio >= 0.70x)',
    },
    {
      name: `two-way sync: p99 time for a row to appear on the other side, inserts at half the two-way rate (${Math.round(
        summarise(rates.two).median / 2,
      ).toLocaleString('en-US')} rows/s, ${latencyMs / 1000} s)`,
      unit: 'ms',
      runs: p99.two,
      baseline: { name: 'one-way replication A → B at the same rate', runs: p99.one },
    },
  ];
}
