// End to end (issue #8): Postgres → source-postgres → transformer (exactly-once) → sink-postgres →
// Postgres, each app its own process as deployed. At fixed offered rates (single-row transactions
// paced by the clock on four connections) the achieved rate is what the sink committed per second
// over the window, and the latency p50/p99 is source commit → sink commit from the sink's
// `sluice_end_to_end_latency_seconds` histogram (differences of two scrapes). The maximum rate is
// a backlog drained: the source paused, N rows committed, the source resumed, rows/s until the
// sink committed them all.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  AppProcess,
  bucketsBetween,
  histogramBuckets,
  parsePrometheusText,
  quantile,
  sumOf,
} from '@sluice/demo';
import { freePort, stackAddresses, uniqueName } from '@sluice/test-support';
import { type BenchFigure } from './support/bench-figure';

export interface PipelineBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const ROOT = join(__dirname, '..', '..');
const LATENCY = 'sluice_end_to_end_latency_seconds';

async function scrape(app: AppProcess) {
  const text = await app.metrics();
  if (text === undefined) throw new Error(`${app.name} does not answer /metrics`);
  const samples = parsePrometheusText(text);
  return {
    committed: sumOf(samples, 'sluice_stream_records_total'),
    latency: histogramBuckets(samples, LATENCY),
  };
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`pipeline bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function benchPipeline(options: PipelineBenchOptions): Promise<BenchFigure[]> {
  const stack = stackAddresses();
  const name = uniqueName('bench_e2e')
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-e2e-'));
  const source = new Client({ ...stack.postgres, database: 'source' });
  const sink = new Client({ ...stack.postgres, database: 'sink' });
  await source.connect();
  await sink.connect();
  const table = `${name}.items`;
  await source.query(`CREATE SCHEMA ${name}`);
  await source.query(
    `CREATE TABLE ${table} (id bigint PRIMARY KEY, v int NOT NULL, amount numeric(12,2) NOT NULL, payload text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
  );
  const ports = { source: await freePort(), transformer: await freePort(), sink: await freePort() };
  const kafka = { brokers: stack.kafkaBrokers };
  const registry = { url: stack.registryUrl };
  const write = (file: string, body: unknown) => {
    writeFileSync(join(dir, file), JSON.stringify(body, null, 2));
    return join(dir, file);
  };
  const cdcTopic = `${name}.${name}.items`;
  write('pipeline.yaml', {
    name: `${name.replace(/_/g, '-')}-copy`,
    from: { topics: [cdcTopic] },
    to: `${name}.items.copy`,
    mode: 'exactly-once',
    steps: [{ filter: { where: "op != 't'" } }],
  });
  const apps = [
    new AppProcess({
      app: 'source-postgres',
      projectRoot: ROOT,
      url: `http://127.0.0.1:${ports.source}`,
      logFile: join(dir, 'source.log'),
      configFile: write('source.yaml', {
        topicPrefix: name,
        postgres: { ...stack.postgres, database: 'source' },
        slot: { name },
        publication: { name },
        tables: { include: [`${name}.*`] },
        heartbeat: { intervalMs: 1000 },
        kafka: { ...kafka, clientId: 'bench-e2e-source' },
        registry,
        http: { host: '127.0.0.1', port: ports.source },
        logging: { level: 'warn' },
      }),
    }),
    new AppProcess({
      app: 'transformer',
      projectRoot: ROOT,
      url: `http://127.0.0.1:${ports.transformer}`,
      logFile: join(dir, 'transformer.log'),
      configFile: write('transformer.yaml', {
        pipeline: 'pipeline.yaml',
        keyFormat: 'avro',
        kafka: { ...kafka, clientId: 'bench-e2e-transformer' },
        registry,
        http: { host: '127.0.0.1', port: ports.transformer },
        logging: { level: 'warn' },
      }),
    }),
    new AppProcess({
      app: 'sink-postgres',
      projectRoot: ROOT,
      url: `http://127.0.0.1:${ports.sink}`,
      logFile: join(dir, 'sink.log'),
      configFile: write('sink.yaml', {
        group: `${name}-sink`,
        topics: [`${name}.items.copy`],
        target: { ...stack.postgres, database: 'sink', schema: name, bookkeepingSchema: name },
        kafka: { ...kafka, clientId: 'bench-e2e-sink' },
        registry,
        http: { host: '127.0.0.1', port: ports.sink },
        logging: { level: 'warn' },
      }),
    }),
  ];
  const [sourceApp, transformerApp, sinkApp] = apps;
  let nextId = 1;
  const payload = 'x'.repeat(200);
  const writers: Client[] = [];
  try {
    // The topics exist once the source snapshotted the (empty) table; a first row makes them all.
    sourceApp.start();
    await sourceApp.ready(120_000);
    await until(
      async () => (await sourceApp.get<{ phase: string }>('/status'))?.phase === 'streaming',
      120_000,
      'the source to stream',
    );
    await source.query(`INSERT INTO ${table} (id, v, amount, payload) VALUES (0, 0, 0, 'warm-up')`);
    await until(
      async () => {
        const { rows } = await source.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_replication_slots WHERE slot_name = $1 AND active`,
          [name],
        );
        return rows[0].n === '1';
      },
      60_000,
      'the slot',
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    transformerApp.start();
    await transformerApp.ready(120_000);
    // The sink subscribes to the transformer's output, which its first record creates.
    await until(
      async () => (await scrape(transformerApp)).committed >= 1,
      120_000,
      'the warm-up row at the transformer',
    );
    sinkApp.start();
    await sinkApp.ready(120_000);
    await until(async () => (await scrape(sinkApp)).committed >= 1, 120_000, 'the warm-up row at the sink');
    for (let i = 0; i < 4; i++) {
      const client = new Client({ ...stack.postgres, database: 'source' });
      await client.connect();
      writers.push(client);
    }

    /** Paced single-row transactions (70% inserts, 30% updates) at `rate` for `seconds`. */
    const offer = async (rate: number, seconds: number) => {
      const perWriter = rate / writers.length;
      const end = Date.now() + seconds * 1000;
      await Promise.all(
        writers.map(async (client) => {
          const started = Date.now();
          for (let n = 0; Date.now() < end; n++) {
            if (n % 10 < 7 || nextId < 10) {
              const id = nextId++;
              await client.query(`INSERT INTO ${table} (id, v, amount, payload) VALUES ($1, 0, $2, $3)`, [
                id,
                (id % 100000) / 100,
                payload,
              ]);
            } else {
              await client.query(`UPDATE ${table} SET v = v + 1, updated_at = now() WHERE id = $1`, [
                1 + Math.floor(Math.random() * (nextId - 1)),
              ]);
            }
            const wait = started + ((n + 1) * 1000) / perWriter - Date.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
        }),
      );
    };

    const seconds = options.quick ? 8 : 20;
    const figures: BenchFigure[] = [];
    for (const rate of [1000, 5000]) {
      const achieved: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        await offer(rate, 2); // warm-up at the rate
        const before = await scrape(sinkApp);
        const startedAt = Date.now();
        await offer(rate, seconds);
        const after = await scrape(sinkApp);
        const elapsed = (Date.now() - startedAt) / 1000;
        achieved.push((after.committed - before.committed) / elapsed);
        const window = bucketsBetween(before.latency, after.latency);
        p50.push((quantile(window, 0.5) ?? NaN) * 1000);
        p99.push((quantile(window, 0.99) ?? NaN) * 1000);
        process.stderr.write(`  e2e ${rate}/s run ${run + 1}: ${achieved.at(-1)!.toFixed(0)} rows/s\n`);
        // Let the pipeline catch up before the next window.
        const target = (await scrape(transformerApp)).committed;
        await until(async () => (await scrape(sinkApp)).committed >= target, 120_000, 'the sink to catch up');
      }
      figures.push(
        {
          name: `end to end Postgres → source → transformer (EOS) → sink-postgres, offered ${rate.toLocaleString('en-US')} rows/s: achieved`,
          unit: 'rows/s',
          runs: achieved,
        },
        { name: `same, latency source commit → sink commit p50`, unit: 'ms', runs: p50 },
        { name: `same, latency p99`, unit: 'ms', runs: p99 },
      );
    }

    // Maximum: a backlog drained.
    const backlog = options.quick ? 20_000 : 60_000;
    const drains: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      await fetch(`${sourceApp.url}/pause`, { method: 'POST' });
      const base = (await scrape(sinkApp)).committed;
      const first = nextId;
      nextId += backlog;
      await source.query(
        `INSERT INTO ${table} (id, v, amount, payload) SELECT g, 0, (g % 100000) / 100.0, $2 FROM generate_series($1::bigint, $1::bigint + $3 - 1) g`,
        [first, payload, backlog],
      );
      const startedAt = Date.now();
      await fetch(`${sourceApp.url}/resume`, { method: 'POST' });
      await until(
        async () => (await scrape(sinkApp)).committed >= base + backlog,
        600_000,
        'the backlog at the sink',
      );
      drains.push(backlog / ((Date.now() - startedAt) / 1000));
      process.stderr.write(`  e2e max run ${run + 1}: ${drains.at(-1)!.toFixed(0)} rows/s\n`);
    }
    figures.push({
      name: `end to end, maximum: a backlog of ${backlog.toLocaleString('en-US')} rows (one transaction) drained source → sink`,
      unit: 'rows/s',
      runs: drains,
    });
    return figures;
  } finally {
    for (const w of writers) await w.end().catch(() => undefined);
    await Promise.all(apps.map((a) => a.stop()));
    await source
      .query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
        [name],
      )
      .catch(() => undefined);
    await source.query(`DROP PUBLICATION IF EXISTS ${name}`).catch(() => undefined);
    await source.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await sink.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await source.end();
    await sink.end();
  }
}
