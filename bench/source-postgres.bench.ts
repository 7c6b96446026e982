// The Postgres source end to end (issue #4): PostgresSource started in-process with
// createConnectorApp, reading a logical slot and publishing Debezium/Avro events to Kafka.
//
// 1. Sustained throughput. N single-row transactions of ~1 KB (50% inserts, 30% updates, 20%
//    deletes, each delete followed by its tombstone) are written while no source runs; every run
//    then starts a source on a fresh copy of one slot created before that WAL and is timed from the
//    moment it streams until Kafka acknowledged every event. That is the rate the source sustains
//    when it is the bottleneck (a backlog, as after a restart or during a burst) — every event goes
//    through decode, envelope, Avro, Kafka acks=all and slot confirmation. Beside it, in the same
//    run, the ceiling: pg_recvlogical reading the same WAL range into /dev/null. Each run drains
//    the backlog twice, exactly once (delivery.guarantee's default: Kafka transactions with the
//    offsets record, the slot confirmed after the commit) and at least once (plain idempotent
//    sends), in alternating order, so the two medians compare on the same machine state (#26).
//    One unmeasured exactly-once drain comes first, so that no measured run pays for compiling
//    the source's code in this process.
// 2. Latency. A paced writer (pgbench --rate, a separate process, 60% inserts / 40% updates) at
//    about half the rate measured in 1; the topic has message.timestamp.type=LogAppendTime, so each
//    record's timestamp is the broker's append time, and latency = append time - the commit time in
//    the envelope (source.ts_us). Records are read back after the writer stopped, so reading them
//    costs the source nothing.
// 3. Memory of the process running the source (RSS and V8 heap used) sampled during 2 — the
//    bench's own process, so it includes the bench — and, per run, the peak RSS (VmHWM) of
//    source-postgres as deployed, its own process, draining the same backlog exactly once.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { type ConnectorApp, createConnectorApp } from '@sluice/connect';
import { Lsn, type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { AppProcess } from '@sluice/demo';
import { freePort, stackAddresses } from '@sluice/test-support';
import { type BenchFigure, percentile, summarise } from './support/bench-figure';
import { dropSlotWhenReleased, recvlogicalSeconds } from './support/logical-slots';
import { decodedRecords } from './support/decoded-records';
import { peakRssBytes } from './support/process-memory';

export interface SourceBenchOptions {
  runs: number;
  quick: boolean;
  /** Transactions in the backlog; default 80,000 (10,000 with quick). */
  transactions?: number;
  /** Seconds of paced writing per latency round; default 15 (5 with quick). */
  latencySeconds?: number;
}

const DATABASE = 'source';
/** Change events per 10 transactions of the mix: 5 inserts, 3 updates, 2 deletes + 2 tombstones. */
const EVENTS_PER_10 = 12;

type Guarantee = 'exactly-once' | 'at-least-once';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ROOT = join(__dirname, '..', '..');

/** Peak resident memory (VmHWM) of process `pid` so far, in bytes (Linux). */
function peakRss(pid: number): number {
  const peak = peakRssBytes(pid);
  if (peak === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return peak;
}

export async function benchSourcePostgres(options: SourceBenchOptions): Promise<BenchFigure[]> {
  const count = options.transactions ?? (options.quick ? 10_000 : 80_000);
  const latencySeconds = options.latencySeconds ?? (options.quick ? 2 : 15);
  const addresses = stackAddresses();
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  const table = `bench_source_${suffix}`;
  const publication = `bench_source_pub_${suffix}`;
  const origin = `bench_source_origin_${suffix}`;
  const admin = new Client({ ...addresses.postgres, database: DATABASE });
  await admin.connect();
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({ brokers: addresses.kafkaBrokers, clientId: 'sluice-bench' }),
  );
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const slots = [origin];
  const topics: string[] = [];
  const provision = async (prefix: string) => {
    const topic = `${prefix}.public.${table}`;
    topics.push(topic);
    await new TopicProvisioner(kafkaAdmin).provision([
      {
        name: topic,
        partitions: 3,
        replicationFactor: 1,
        configs: { 'message.timestamp.type': 'LogAppendTime' },
      },
    ]);
    return topic;
  };
  const sourceConfig = (prefix: string, slot: string, guarantee: Guarantee, port: number) => ({
    topicPrefix: prefix,
    postgres: { ...addresses.postgres, database: DATABASE },
    slot: { name: slot, dropOnStop: true },
    publication: { name: publication, autocreate: 'disabled' },
    tables: { include: [`public.${table}`] },
    snapshot: { mode: 'never' },
    heartbeat: { intervalMs: 0 },
    delivery: { guarantee },
    kafka: { brokers: addresses.kafkaBrokers, clientId: 'sluice-bench-source' },
    registry: { url: addresses.registryUrl },
    http: { host: '127.0.0.1', port },
    logging: { level: 'warn' },
  });
  const start = (prefix: string, slot: string, guarantee: Guarantee = 'exactly-once') =>
    createConnectorApp<RunningSource>(
      sourcePostgresConnector,
      sourcePostgresConnector.configSchema.parse(sourceConfig(prefix, slot, guarantee, 0)),
    );
  /**
   * Peak RSS of source-postgres as deployed — its own process (`node main.js`) — draining the
   * backlog from `slot` exactly once. The in-process runs above share the bench's memory.
   */
  const ownProcessPeakRss = async (prefix: string, slot: string, expected: number, endpos: Lsn) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-source-'));
    const port = await freePort();
    const configFile = join(dir, 'source.yaml');
    writeFileSync(configFile, JSON.stringify(sourceConfig(prefix, slot, 'exactly-once', port)));
    const app = new AppProcess({
      app: 'source-postgres',
      projectRoot: ROOT,
      url: `http://127.0.0.1:${port}`,
      logFile: join(dir, 'source.log'),
      configFile,
      // As the image runs it: production, and no compile cache (which Node holds in memory for the
      // process's life) unless the environment names one, as the image's does.
      env: { NODE_ENV: 'production' },
      compileCache: false,
    });
    app.start();
    try {
      await app.ready(60_000);
      const deadline = Date.now() + 300_000;
      for (;;) {
        const status = await app.get<{
          eventsPublished: number;
          eventsPending: number;
          confirmedLsn?: string;
        }>('/status');
        if (status && drained(status, expected, endpos)) return peakRss(app.pid!);
        if (Date.now() > deadline)
          throw new Error(`the source process did not drain: ${JSON.stringify(status)}`);
        await sleep(50);
      }
    } finally {
      await app.stop();
    }
  };

  try {
    await admin.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),
         updated_at timestamptz NOT NULL DEFAULT now(), payload text)`,
    );
    await admin.query(`CREATE SEQUENCE ${table}_ids START ${10 * count + 1}`);
    await admin.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    // Rows for the updates and deletes, written before the slot: not part of the measured WAL.
    await admin.query(
      `INSERT INTO ${table} SELECT i, 'name ' || i, i * 1.25, now(), repeat(md5(i::text), 30) FROM generate_series(1, ${count}) i`,
    );
    await admin.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [origin]);
    process.stderr.write(`  writing ${count.toLocaleString('en-US')} single-row transactions of ~1 KB\n`);
    await admin.query(
      `DO $$ BEGIN FOR i IN 1..${count} LOOP
         CASE WHEN i % 10 < 5 THEN
           INSERT INTO ${table} VALUES (${count} + i, 'name ' || i, i * 0.5, now(), repeat(md5(i::text), 30));
         WHEN i % 10 < 8 THEN
           UPDATE ${table} SET amount = amount + 1, updated_at = now(), payload = repeat(md5((i + 1)::text), 30) WHERE id = i;
         ELSE
           DELETE FROM ${table} WHERE id = i;
         END CASE;
         COMMIT;
       END LOOP; END $$`,
    );
    const [{ lsn }] = (await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
    const endpos = Lsn.parse(lsn);
    const expectedEvents = (count / 10) * EVENTS_PER_10;
    const throughputTopic = await provision(`bench_tp_${suffix}`);
    const throughputPrefix = throughputTopic.slice(0, -`.public.${table}`.length);
    topics.push(`${throughputPrefix}.offsets`);

    const ceiling: number[] = [];
    const txnRates: number[] = [];
    const eventRates: number[] = [];
    const drainRss: number[] = [];
    const ownProcessRss: number[] = [];
    const atLeastOnceRates: number[] = [];
    /** The backlog drained from a copy of the origin slot by an in-process source, `guarantee`. */
    const drainCopy = async (slot: string, guarantee: Guarantee) => {
      await admin.query('SELECT pg_copy_logical_replication_slot($1, $2)', [origin, slot]);
      slots.push(slot);
      const app = await start(throughputPrefix, slot, guarantee);
      try {
        return await drain(app, expectedEvents, endpos);
      } finally {
        await app.close();
        await dropSlotWhenReleased(admin, slot);
      }
    };
    // Unmeasured: the source runs in this process, and its first drain also compiles its code (a
    // deployed source is long past that); that first run came out at half the later ones.
    await drainCopy(`bench_source_warmup_${suffix}`, 'exactly-once');
    for (let run = 0; run < options.runs; run++) {
      const recv = `bench_source_recv${run}_${suffix}`;
      await admin.query('SELECT pg_copy_logical_replication_slot($1, $2)', [origin, recv]);
      slots.push(recv);
      ceiling.push(
        count / (await recvlogicalSeconds(addresses.postgres, DATABASE, recv, publication, endpos)),
      );
      await dropSlotWhenReleased(admin, recv);

      // Alternating which guarantee drains first: neither always meets a warmer cache.
      const order: Guarantee[] =
        run % 2 ? ['at-least-once', 'exactly-once'] : ['exactly-once', 'at-least-once'];
      for (const guarantee of order) {
        const slot = `bench_source_run${run}_${guarantee === 'exactly-once' ? 'eos' : 'alo'}_${suffix}`;
        const { seconds, maxRss } = await drainCopy(slot, guarantee);
        if (guarantee === 'at-least-once') atLeastOnceRates.push(count / seconds);
        else {
          txnRates.push(count / seconds);
          eventRates.push(expectedEvents / seconds);
          drainRss.push(maxRss);
        }
        process.stderr.write(
          `  run ${run}: source ${guarantee} ${Math.round(count / seconds)} txn/s, pg_recvlogical ${Math.round(ceiling.at(-1)!)} txn/s\n`,
        );
      }
      const own = `bench_source_run${run}_own_${suffix}`;
      await admin.query('SELECT pg_copy_logical_replication_slot($1, $2)', [origin, own]);
      slots.push(own);
      ownProcessRss.push(await ownProcessPeakRss(throughputPrefix, own, expectedEvents, endpos));
      await dropSlotWhenReleased(admin, own);
      process.stderr.write(
        `  run ${run}: source-postgres process peak RSS ${Math.round(ownProcessRss.at(-1)! / 2 ** 20)} MiB\n`,
      );
    }

    // Latency at about half the sustained rate, paced by pgbench in its own process.
    const rate = Math.max(50, Math.round(summarise(txnRates).median / 2));
    const latencyPrefix = `bench_lat_${suffix}`;
    const latencyTopic = await provision(latencyPrefix);
    topics.push(`${latencyPrefix}.offsets`);
    const latencySlot = `bench_source_lat_${suffix}`;
    slots.push(latencySlot);
    const app = await start(latencyPrefix, latencySlot);
    const rounds: Array<{ from: number; to: number; rss: number[]; heap: number[]; achieved: number }> = [];
    try {
      await until(() => app.connector.status().phase === 'streaming', 30_000, 'the latency source to stream');
      const script = writeScript(table);
      for (let round = 0; round < options.runs; round++) {
        const from = Date.now();
        const rss: number[] = [];
        const heap: number[] = [];
        const sampler = setInterval(() => {
          const m = process.memoryUsage();
          rss.push(m.rss);
          heap.push(m.heapUsed);
        }, 250);
        const done = await pgbench(addresses.postgres, script, rate, latencySeconds, count);
        clearInterval(sampler);
        rounds.push({ from, to: Date.now(), rss, heap, achieved: done / latencySeconds });
        process.stderr.write(`  latency round ${round}: ${done} txns at ${rate}/s asked\n`);
      }
      await until(() => app.connector.status().eventsPending === 0, 60_000, 'the source to drain');
    } finally {
      await app.close();
      await dropSlotWhenReleased(admin, latencySlot);
    }
    const latencies = await readLatencies(kafka, addresses.registryUrl, latencyTopic, rounds);

    const mib = (bytes: number) => bytes / 2 ** 20;
    return [
      {
        name: `PostgresSource (exactly once) commit → Kafka commit, ${count.toLocaleString('en-US')} single-row txns of ~1 KB (50% ins, 30% upd, 20% del), backlog drained`,
        unit: 'txn/s',
        runs: txnRates,
        baseline: { name: 'pg_recvlogical pgoutput > /dev/null, same WAL', runs: ceiling },
        goal: '>= 0.8x the ceiling',
      },
      {
        name: 'same backlog, exactly once (delivery.guarantee default) beside at-least-once, runs interleaved',
        unit: 'txn/s',
        runs: txnRates,
        baseline: { name: 'delivery.guarantee: at-least-once', runs: atLeastOnceRates },
        goal: '>= 0.9x at-least-once',
      },
      {
        name: 'same, change events (tombstones included) acknowledged by Kafka',
        unit: 'events/s',
        runs: eventRates,
      },
      {
        name: 'same, RSS at most while draining, the source inside the bench process (shares its memory)',
        unit: 'MiB',
        runs: drainRss.map(mib),
      },
      {
        name: 'same backlog drained by source-postgres as its own process, started as the image starts it (node main.js, NODE_ENV=production, no compile cache): peak RSS (VmHWM)',
        unit: 'MiB',
        runs: ownProcessRss.map(mib),
        goal: '<= 200 MiB',
      },
      {
        name: `latency commit → Kafka append (LogAppendTime; exactly once) p50, paced writer at ${rate} txn/s (half the median above)`,
        unit: 'ms',
        runs: latencies.map((l) => l.p50),
      },
      {
        name: 'latency commit → Kafka append p99, same rounds',
        unit: 'ms',
        runs: latencies.map((l) => l.p99),
        goal: '< 100 ms',
      },
      { name: 'paced writer, achieved rate', unit: 'txn/s', runs: rounds.map((r) => r.achieved) },
      {
        name: 'steady state (paced rounds), process RSS median',
        unit: 'MiB',
        runs: rounds.map((r) => mib(summarise(r.rss).median)),
      },
      {
        name: 'steady state (paced rounds), V8 heap used median',
        unit: 'MiB',
        runs: rounds.map((r) => mib(summarise(r.heap).median)),
      },
    ];
  } finally {
    for (const slot of slots) await dropSlotWhenReleased(admin, slot).catch(() => undefined);
    await admin.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.query(`DROP SEQUENCE IF EXISTS ${table}_ids`).catch(() => undefined);
    await admin.end();
    if (topics.length) await kafkaAdmin.deleteTopics({ topics }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  }
}

/** Every event published and acknowledged, and the slot confirmed up to `endpos`. */
function drained(
  status: { eventsPublished: number; eventsPending: number; confirmedLsn?: string },
  expected: number,
  endpos: Lsn,
): boolean {
  const confirmed = status.confirmedLsn ? Lsn.parse(status.confirmedLsn) : undefined;
  return (
    status.eventsPublished >= expected &&
    status.eventsPending === 0 &&
    confirmed !== undefined &&
    !confirmed.isBefore(endpos)
  );
}

/** Seconds from the source streaming until Kafka acknowledged `expected` events up to `endpos`. */
async function drain(
  app: ConnectorApp<RunningSource>,
  expected: number,
  endpos: Lsn,
): Promise<{ seconds: number; maxRss: number }> {
  await until(() => app.connector.status().phase === 'streaming', 30_000, 'the source to stream');
  const started = process.hrtime.bigint();
  let maxRss = 0;
  for (let polls = 0; ; polls++) {
    const status = app.connector.status();
    if (status.phase !== 'streaming' && status.phase !== 'paused')
      throw new Error(`source left streaming: ${status.phase} ${status.lastError?.message ?? ''}`);
    if (drained(status, expected, endpos)) break;
    if (polls % 50 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    if (Number(process.hrtime.bigint() - started) > 300e9)
      throw new Error('the source did not drain in 5 min');
    await sleep(2);
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, maxRss };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function writeScript(table: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-source-')), 'mix.sql');
  writeFileSync(
    file,
    [
      '\\set r random(1, 10)',
      '\\set id random(1, :rows)',
      '\\if :r <= 6',
      `INSERT INTO ${table} VALUES (nextval('${table}_ids'), 'paced', 1.5, now(), repeat(md5(random()::text), 30));`,
      '\\else',
      `UPDATE ${table} SET amount = amount + 1, updated_at = now() WHERE id = :id;`,
      '\\endif',
      '',
    ].join('\n'),
  );
  return file;
}

/** Runs pgbench at `rate` transactions/s for `seconds`; answers the transactions it processed. */
function pgbench(
  pg: { host: string; port: number; user: string; password: string },
  script: string,
  rate: number,
  seconds: number,
  rows: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'pgbench',
      [
        '-n',
        '-h',
        pg.host,
        '-p',
        String(pg.port),
        '-U',
        pg.user,
        '-c',
        '4',
        '-j',
        '1',
        '-R',
        String(rate),
        '-T',
        String(seconds),
        '-D',
        `rows=${rows}`,
        '-f',
        script,
        DATABASE,
      ],
      { env: { ...process.env, PGPASSWORD: pg.password }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const processed = /number of transactions actually processed: (\d+)/.exec(out);
      if (code === 0 && processed) resolve(Number(processed[1]));
      else reject(new Error(`pgbench exited ${code}: ${out}`));
    });
  });
}

/** p50/p99 of append time - commit time per round, from the records of the latency topic. */
async function readLatencies(
  kafka: ReturnType<typeof createKafkaClient>,
  registryUrl: string,
  topic: string,
  rounds: ReadonlyArray<{ from: number; to: number }>,
): Promise<Array<{ p50: number; p99: number }>> {
  const decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: registryUrl }));
  const samples: Array<{ commitMs: number; latency: number }> = [];
  for (const { value, timestamp } of await decodedRecords<{ source: { ts_us: number | bigint } }>(
    kafka,
    decoder,
    topic,
  )) {
    const commitMs = Number(value.source.ts_us) / 1000;
    samples.push({ commitMs, latency: timestamp - commitMs });
  }
  return rounds.map(({ from, to }) => {
    const inRound = samples.filter((s) => s.commitMs >= from && s.commitMs <= to).map((s) => s.latency);
    return { p50: percentile(inRound, 50), p99: percentile(inRound, 99) };
  });
}
