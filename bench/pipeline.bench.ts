// End to end (issues #8, #23): Postgres → source-postgres → transformer (exactly-once) →
// sink-postgres → Postgres, each app its own process as deployed. The load is `pgbench` (a
// separate C process, so the writer does not share Node's CPU with the apps): ~1 KB rows, 60 %
// inserts, 30 % updates, 10 % deletes, sixteen clients paced with `--rate`; each run's first seconds
// (more before a rate's first run) warm up at the rate, and its window starts after them, inside the
// same pgbench run. Per offered rate the figures are: the rate pgbench achieved at the source (over
// its whole run, warm-up included: it paces at the rate), the rate the sink committed over the
// window, and the latency of every row version changed in the window, exact per row: the sink's
// commit timestamp minus the source's (pg_xact_commit_timestamp of each row's xmin, one Postgres
// clock; track_commit_timestamp is on in the local stack), p50/p99/p99.9 of the
// differences. The maximum rate is a backlog drained: the source paused, N rows committed (in
// transactions of 10 rows, and again in one), the source resumed, rows/s until the sink finished
// them all (its count of records done; the last batch's database commit follows within
// milliseconds). Where the time goes, at each offered
// rate: per change, source commit → its append to the CDC topic → the append of the transformer's
// output → the sink's commit (both topics stamped with the broker's append time); and at 5,000/s
// the rate the source and the transformer appended during the load, beside the sink's: the stage
// that falls behind. And the CPU each process (Postgres with its backends, each app, the broker)
// used during the load, in cores: on a small machine, where the cores go.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, ConfigResourceTypes, type Kafka } from 'kafkajs';
import { Client } from 'pg';
import { AppProcess, parsePrometheusText, sumOf } from '@sluice/demo';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { ConfluentSchemaRegistryClient, RecordDecoder } from '@sluice/schema';
import { LocalStack, stackLayout } from '@sluice/stack';
import { freePort, PROJECT_ROOT, stackAddresses, uniqueName, until, untilStill } from '@sluice/test-support';
import { type BenchFigure, percentile } from './support/bench-figure';
import { decodedRecords } from './support/decoded-records';
import { pgbench } from './support/pgbench';
import { cpuSeconds, machineBusySeconds, postgresCpuSeconds } from './support/process-cpu';

export interface PipelineBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const ROOT = join(__dirname, '..', '..');
/**
 * pgbench's connections. Each waits for its commit before its next transaction; with four, the
 * offered 5,000/s arrived at ~2,500/s once the pipeline shared the CPU (pgbench alone: 4,930).
 */
const PGBENCH_CLIENTS = 16;

/** Rows the table holds before the measured load: updates and deletes pick among the newest. */
const SEED_ROWS = 10_000;

async function scrape(app: AppProcess) {
  const text = await app.metrics();
  if (text === undefined) throw new Error(`${app.name} does not answer /metrics`);
  return { committed: sumOf(parsePrometheusText(text), 'sluice_stream_records_total') };
}

/**
 * Records the sink is done with, whatever their outcome, as sluice_stream_records_total counts them
 * (its /status: cheap enough to poll every few ms).
 */
async function processed(app: AppProcess): Promise<number> {
  const status = await app.get<{
    recordsProcessed: number;
    recordsDeadLettered: number;
    recordsParked: number;
  }>('/status');
  if (status === undefined) throw new Error(`${app.name} does not answer /status`);
  return status.recordsProcessed + status.recordsDeadLettered + status.recordsParked;
}

/** The pgbench script: one change per transaction on the table `table` with the sequence `seq`. */
function pgbenchScript(table: string, seq: string): string {
  return [
    '\\set r random(1, 100)',
    `\\set back random(0, ${SEED_ROWS / 2})`,
    '\\if :r <= 60',
    `INSERT INTO ${table} (id, v, amount, payload, updated_at) VALUES (nextval('${seq}'), 0, (random() * 1000)::numeric(12,2), repeat(md5(random()::text), 31), clock_timestamp());`,
    '\\elif :r <= 90',
    `UPDATE ${table} SET v = v + 1, updated_at = clock_timestamp() WHERE id = (SELECT last_value FROM ${seq}) - :back;`,
    '\\else',
    `DELETE FROM ${table} WHERE id = (SELECT last_value FROM ${seq}) - :back;`,
    '\\endif',
    '',
  ].join('\n');
}

/**
 * Source commit → sink commit of every row version that reached the sink (each row's last version:
 * a later update replaces an earlier one; deleted rows are gone), both ends their transactions'
 * commit timestamps (pg_xact_commit_timestamp(xmin), track_commit_timestamp on).
 */
function commitLatencies(
  sourceCommits: ReadonlyMap<string, number>,
  sinkCommits: ReadonlyMap<string, number>,
): number[] {
  const out: number[] = [];
  for (const [version, sinkAt] of sinkCommits) {
    const at = sourceCommits.get(version);
    if (at !== undefined) out.push(sinkAt - at);
  }
  return out;
}

/**
 * The same without commit timestamps: the rows' stamps (`updated_at` at the source, `synced_at`
 * from the sink table's trigger), each taken just before its commit.
 */
async function stampLatencies(sink: Client, table: string, since: Date): Promise<number[]> {
  const { rows } = await sink.query<{ ms: number }>(
    `SELECT extract(epoch FROM synced_at - updated_at) * 1000 AS ms FROM ${table} WHERE updated_at >= $1 AND synced_at IS NOT NULL`,
    [since],
  );
  return rows.map((r) => Number(r.ms));
}

/** `id/v` → commit time (ms) of each row version of `table` changed since `since`. */
async function rowVersions(client: Client, table: string, since: Date): Promise<Map<string, number>> {
  const { rows } = await client.query<{ id: string; v: number; at: number | null }>(
    `SELECT id::text, v, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS at FROM ${table} WHERE updated_at >= $1`,
    [since],
  );
  const versions = new Map<string, number>();
  for (const r of rows) if (r.at !== null) versions.set(`${r.id}/${r.v}`, Number(r.at));
  return versions;
}

/**
 * Waits until every row version `table` holds since `since` (read once: the load has stopped) is
 * in the sink's copy: the window's inserts and updates have all arrived. Deletions leave no
 * version to wait for; they are not timed either. The poll asks the sink only for the rows still
 * missing, by primary key: it runs while the window's last rows are on their way, on the same
 * Postgres and the same cores.
 */
async function untilArrived(
  source: Client,
  table: string,
  sink: Client,
  sinkTable: string,
  since: Date,
): Promise<void> {
  const { rows } = await source.query<{ id: string; v: number }>(
    `SELECT id::text, v::int FROM ${table} WHERE updated_at >= $1`,
    [since],
  );
  const missing = new Map(rows.map((r) => [r.id, r.v]));
  await until(
    async () => {
      const { rows: arrived } = await sink.query<{ id: string; v: number }>(
        `SELECT id::text, v::int FROM ${sinkTable} WHERE id = ANY($1::bigint[])`,
        [[...missing.keys()]],
      );
      for (const { id, v } of arrived) if (missing.get(id) === v) missing.delete(id);
      return missing.size === 0;
    },
    300_000,
    `every row version of the window in ${sinkTable}`,
    () =>
      `(${missing.size} of ${rows.length} missing, id/v: ${[...missing]
        .slice(0, 5)
        .map(([id, v]) => `${id}/${v}`)
        .join(', ')}…; the sink's /status counts dead letters and parked records)`,
    100,
  );
}

/**
 * Stamps the records of `topics` with the broker's append time (LogAppendTime). kafkajs has only
 * the non-incremental AlterConfigs, which replaces a topic's settings: the others are kept.
 */
async function stampAppendTime(admin: Admin, topics: readonly string[]): Promise<void> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  await admin.alterConfigs({
    validateOnly: false,
    resources: resources.map((r) => ({
      type: ConfigResourceTypes.TOPIC,
      name: r.resourceName,
      configEntries: [
        ...r.configEntries
          .filter((e) => e.configSource === TOPIC_CONFIG && e.configName !== 'message.timestamp.type')
          .map((e) => ({ name: e.configName, value: e.configValue })),
        { name: 'message.timestamp.type', value: 'LogAppendTime' },
      ],
    })),
  });
}
/** kafkajs's ConfigSource for a setting made on the topic itself. */
const TOPIC_CONFIG = 1;

/** Postgres's clock, the one its commit timestamps are on. */
async function postgresNow(client: Client): Promise<Date> {
  const { rows } = await client.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  return rows[0]!.now;
}

const STAGES = ['source', 'transformer', 'sink'] as const;

/** The processes whose CPU is read during the load: where the machine's cores go. */
const CPU_USERS = ['postgres', 'source', 'transformer', 'sink', 'broker', 'machine'] as const;
type CpuUser = (typeof CPU_USERS)[number];

const CPU_LABELS: Record<CpuUser, string> = {
  postgres: 'Postgres (source and sink databases, pgbench backends)',
  source: 'source-postgres',
  transformer: 'transformer',
  sink: 'sink-postgres',
  broker: 'Kafka broker',
  machine: `the whole machine (${availableParallelism()} cores; pgbench and this bench included)`,
};

/** The stack's own processes, as `sluice stack status` names them (undefined: not started by it). */
interface StackPids {
  readonly postgres: number | undefined;
  readonly broker: number | undefined;
}

async function stackPids(): Promise<StackPids> {
  const parts = await new LocalStack(stackLayout(PROJECT_ROOT)).status();
  const pid = (name: string) => parts.find((p) => p.name === name)?.pid;
  return { postgres: pid('postgres'), broker: pid('kafka') };
}

/** CPU seconds used so far by each process of the pipeline (Postgres: all its backends). */
function cpuNow(apps: Stages<AppProcess>, stack: StackPids): Record<CpuUser, number> {
  return {
    postgres: postgresCpuSeconds(stack.postgres),
    source: cpuSeconds(apps.source.pid),
    transformer: cpuSeconds(apps.transformer.pid),
    sink: cpuSeconds(apps.sink.pid),
    broker: cpuSeconds(stack.broker),
    machine: machineBusySeconds(),
  };
}

interface ChangeEnvelope {
  readonly op: string;
  readonly after: { readonly id: unknown; readonly v: unknown } | null;
  readonly source: { readonly ts_us: number | bigint | null; readonly lsn: number | bigint | null };
}

interface Stages<T> {
  readonly source: T;
  readonly transformer: T;
  readonly sink: T;
}

/** Per second over `window`, the times that fall in it. */
function rateIn(times: readonly number[], window: { readonly from: number; readonly to: number }): number {
  return times.filter((t) => t >= window.from && t <= window.to).length / ((window.to - window.from) / 1000);
}

/**
 * Where the changes of the load `window` went (inserts and updates: a deletion leaves no row version
 * to time at the sink). Latency per change: source commit → its append to the CDC topic
 * (source-postgres), → the append of the transformer's output (the source's commit, the
 * transformer's fetch and work), → the sink's commit of the row (the transformer's commit, the
 * sink's fetch and write). Rate of the source and the transformer: the changes each appended
 * within the window, per second (not the sink's: a row version updated again is gone from its
 * table; the sink's rate is the committed count it reports). Append times are the broker's, commit
 * times Postgres's: one clock.
 */
async function stageTimings(
  kafka: Kafka,
  decoder: RecordDecoder,
  topics: { readonly cdc: string; readonly out: string },
  sinkCommits: ReadonlyMap<string, number>,
  window: { readonly from: number; readonly to: number },
): Promise<{ latencies: Stages<number[]>; rates: Omit<Stages<number>, 'sink'> }> {
  const lsnOf = (e: ChangeEnvelope) => String(e.source.lsn);
  const since = { from: { timestamp: window.from } };
  const outAppended = new Map<string, number>();
  for (const { value, timestamp } of await decodedRecords<ChangeEnvelope>(kafka, decoder, topics.out, since))
    outAppended.set(lsnOf(value), timestamp);
  const stages = { source: [] as number[], transformer: [] as number[], sink: [] as number[] };
  const passed = { source: [] as number[], transformer: [] as number[] };
  for (const { value: event, timestamp: appendedAt } of await decodedRecords<ChangeEnvelope>(
    kafka,
    decoder,
    topics.cdc,
    since,
  )) {
    if (!event.after || event.source.ts_us === null || event.op === 'r') continue;
    stages.source.push(appendedAt - Number(event.source.ts_us) / 1000);
    passed.source.push(appendedAt);
    const out = outAppended.get(lsnOf(event));
    if (out === undefined) continue;
    stages.transformer.push(out - appendedAt);
    passed.transformer.push(out);
    const sinkAt = sinkCommits.get(`${String(event.after.id)}/${String(event.after.v)}`);
    if (sinkAt !== undefined) stages.sink.push(sinkAt - out);
  }
  const rates = { source: rateIn(passed.source, window), transformer: rateIn(passed.transformer, window) };
  return { latencies: stages, rates };
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
  const seq = `${name}.items_id`;
  await source.query(`CREATE SEQUENCE ${seq}`);
  const ports = { source: await freePort(), transformer: await freePort(), sink: await freePort() };
  const kafka = { brokers: stack.kafkaBrokers };
  const registry = { url: stack.registryUrl };
  const write = (file: string, body: unknown) => {
    writeFileSync(join(dir, file), JSON.stringify(body, null, 2));
    return join(dir, file);
  };
  const cdcTopic = `${name}.${name}.items`;
  // The sink writes a topic's rows to the table named by its last part.
  const sinkTable = `${name}.copy`;
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
  const stageApps: Stages<AppProcess> = { source: sourceApp!, transformer: transformerApp!, sink: sinkApp! };
  const pids = await stackPids();
  const kafkaClient = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stack.kafkaBrokers,
      clientId: 'bench-e2e-stages',
      logLevel: 'nothing',
    }),
  );
  const admin = kafkaClient.admin();
  await admin.connect();
  const decoder = new RecordDecoder(new ConfluentSchemaRegistryClient({ url: stack.registryUrl }));
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
    // The transformer subscribes to the CDC topic, which the warm-up row's publish creates.
    await until(
      async () =>
        (await admin.listTopics()).includes(cdcTopic) &&
        (await admin.fetchTopicOffsets(cdcTopic)).some((p) => Number(p.high) > 0),
      60_000,
      'the warm-up row in the CDC topic',
    );
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
    // Without commit timestamps the sink's copy stamps each row it writes (a trigger), and a row's
    // latency is its stamp minus its source `updated_at`.
    const { rows: setting } = await source.query<{ track_commit_timestamp: string }>(
      'SHOW track_commit_timestamp',
    );
    const commitTimestamps = setting[0]!.track_commit_timestamp === 'on';
    const outTopic = `${name}.items.copy`;
    if (commitTimestamps) await stampAppendTime(admin, [cdcTopic, outTopic]);
    if (!commitTimestamps) {
      process.stderr.write(
        '  e2e: track_commit_timestamp is off (a stack started before it was turned on): latency from row stamps\n',
      );
      await sink.query(`ALTER TABLE ${sinkTable} ADD COLUMN synced_at timestamptz`);
      await sink.query(
        `CREATE FUNCTION ${name}.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.synced_at := clock_timestamp(); RETURN NEW; END $$`,
      );
      await sink.query(
        `CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON ${sinkTable} FOR EACH ROW EXECUTE FUNCTION ${name}.stamp()`,
      );
    }
    // Seed rows for the updates and deletes to find, through the pipeline like the rest.
    const seeded = (await scrape(sinkApp)).committed;
    await source.query(
      `INSERT INTO ${table} (id, v, amount, payload) SELECT nextval('${seq}'), 0, 1, repeat('s', 1000) FROM generate_series(1, ${SEED_ROWS})`,
    );
    await until(
      async () => (await scrape(sinkApp)).committed >= seeded + SEED_ROWS,
      300_000,
      'the seed rows at the sink',
    );
    const script = join(dir, 'load.sql');
    writeFileSync(script, pgbenchScript(table, seq));

    const seconds = options.quick ? 3 : 20;
    const figures: BenchFigure[] = [];
    for (const rate of [1000, 5000]) {
      const atSource: number[] = [];
      const achieved: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      const p999: number[] = [];
      const stages = { source: [] as number[][], transformer: [] as number[][], sink: [] as number[][] };
      const stageRates = { source: [] as number[], transformer: [] as number[] };
      const cores = Object.fromEntries(CPU_USERS.map((u) => [u, [] as number[]])) as Record<
        CpuUser,
        number[]
      >;
      for (let run = 0; run < options.runs; run++) {
        // One pgbench run: its first seconds warm up at the rate, and the window starts after them.
        // A separate warm-up run would end, and the measured one open sixteen new connections (new
        // backends) as the window starts: the load generator's start measured as the pipeline's tail.
        const warmUpSeconds = (options.quick ? 1 : 2) + (run === 0 ? 2 : 0);
        const loaded = pgbench(stack.postgres, 'source', script, {
          rate,
          seconds: warmUpSeconds + seconds,
          clients: PGBENCH_CLIENTS,
        });
        loaded.catch(() => undefined); // awaited below
        await new Promise((resolve) => setTimeout(resolve, warmUpSeconds * 1000));
        const before = await scrape(sinkApp);
        const windowStart = await postgresNow(sink);
        const cpuBefore = cpuNow(stageApps, pids);
        const startedAt = Date.now();
        const load = await loaded;
        const cpuAfter = cpuNow(stageApps, pids);
        const after = await scrape(sinkApp);
        const window = { from: windowStart.getTime(), to: (await postgresNow(sink)).getTime() };
        const elapsed = (Date.now() - startedAt) / 1000;
        for (const user of CPU_USERS) cores[user].push((cpuAfter[user] - cpuBefore[user]) / elapsed);
        atSource.push(load.tps);
        achieved.push((after.committed - before.committed) / elapsed);
        // Let the pipeline catch up (pgbench has stopped), then the latency of every row the window
        // changed.
        await untilArrived(source, table, sink, sinkTable, windowStart);
        // Every row the window changed, read once: for the latency and for the stages.
        const sinkCommits = commitTimestamps ? await rowVersions(sink, sinkTable, windowStart) : undefined;
        const latencies = sinkCommits
          ? commitLatencies(await rowVersions(source, table, windowStart), sinkCommits)
          : await stampLatencies(sink, sinkTable, windowStart);
        p50.push(percentile(latencies, 50));
        p99.push(percentile(latencies, 99));
        p999.push(percentile(latencies, 99.9));
        if (sinkCommits) {
          const { latencies: split, rates: passed } = await stageTimings(
            kafkaClient,
            decoder,
            { cdc: cdcTopic, out: outTopic },
            sinkCommits,
            window,
          );
          for (const stage of STAGES) stages[stage].push(split[stage]);
          stageRates.source.push(passed.source);
          stageRates.transformer.push(passed.transformer);
          const line = STAGES.map(
            (stage) =>
              `${stage} ${percentile(split[stage], 50).toFixed(0)}/${percentile(split[stage], 99).toFixed(0)} ms`,
          );
          process.stderr.write(
            `  e2e ${rate}/s run ${run + 1} stages p50/p99: ${line.join(', ')}; inserts and updates appended: ` +
              `source ${passed.source.toFixed(0)}/s, transformer ${passed.transformer.toFixed(0)}/s\n`,
          );
        }
        process.stderr.write(
          `  e2e ${rate}/s run ${run + 1}: pgbench ${load.tps.toFixed(0)} tps, sink ${achieved.at(-1)!.toFixed(0)} rows/s, ` +
            `p50 ${p50.at(-1)!.toFixed(0)} ms, p99 ${p99.at(-1)!.toFixed(0)} ms over ${latencies.length} rows\n`,
        );
      }
      const offered = `offered ${rate.toLocaleString('en-US')} changes/s (pgbench --rate, ~1 KB rows, 60/30/10 % insert/update/delete)`;
      figures.push(
        {
          name: `end to end Postgres → source → transformer (EOS) → sink-postgres, ${offered}: achieved at the sink`,
          unit: 'rows/s',
          runs: achieved,
          baseline: {
            name: 'pgbench achieved at the source (its whole run, warm-up included)',
            runs: atSource,
          },
          goal: rate === 5000 ? '>= 4,900' : undefined,
        },
        { name: `same, latency source commit → sink commit p50 (every row)`, unit: 'ms', runs: p50 },
        {
          name: `same, latency p99`,
          unit: 'ms',
          runs: p99,
          goal: rate === 5000 ? '< 250 ms' : '< 100 ms',
        },
        { name: `same, latency p99.9`, unit: 'ms', runs: p999 },
      );
      if (stages.source.length > 0) {
        const stage = (label: string, samples: number[][]) =>
          [50, 99].map((p) => ({
            name: `same, where the time goes: ${label} p${p} (append times are the broker's)`,
            unit: 'ms',
            runs: samples.map((s) => percentile(s, p)),
          }));
        figures.push(
          ...stage('source commit → CDC topic append (source-postgres)', stages.source),
          ...stage(
            '→ append of the transformer’s output (source commit, transformer fetch and work)',
            stages.transformer,
          ),
          ...stage('→ sink commit (transformer commit, sink fetch and write)', stages.sink),
        );
      }
      figures.push(
        ...CPU_USERS.map((user) => ({
          name: `same, CPU during the load: ${CPU_LABELS[user]}`,
          unit: 'cores',
          runs: cores[user],
        })),
      );
      if (rate === 5000 && stageRates.source.length > 0) {
        const passedOn = (label: string, runs: number[]) => ({
          name: `same, inserts and updates (~90 % of the changes) ${label} during the load`,
          unit: 'rows/s',
          runs,
        });
        figures.push(
          passedOn('appended to the CDC topic (source-postgres)', stageRates.source),
          passedOn("appended to the transformer's output", stageRates.transformer),
        );
      }
    }

    // The last run's deletions may still be on their way (untilArrived waits for row versions):
    // the sink's count stands still once they are in, and the drains below count from it.
    await untilStill(async () => (await scrape(sinkApp)).committed, 1_500, 300_000, 'the sink to settle');

    // Maximum: a backlog drained, the source paused while it is written. Two shapes: many small
    // transactions (what an outage of the source leaves behind; the source, transformer and sink
    // work on it at once), and one bulk transaction (published as one Kafka transaction: the
    // transformer sees none of it before the source committed all of it, so the stages take turns).
    const backlog = options.quick ? 10_000 : 60_000;
    const shapes = [
      {
        label: `${(backlog / 10).toLocaleString('en-US')} transactions of 10 rows`,
        write: () =>
          source.query(
            `DO $$ BEGIN FOR t IN 1..${backlog / 10} LOOP
               INSERT INTO ${table} (id, v, amount, payload)
                 SELECT nextval('${seq}'), 0, (g % 100000) / 100.0, repeat('x', 1000) FROM generate_series(1, 10) g;
               COMMIT;
             END LOOP; END $$`,
          ),
      },
      {
        label: 'one transaction',
        write: () =>
          source.query(
            `INSERT INTO ${table} (id, v, amount, payload) SELECT nextval('${seq}'), 0, (g % 100000) / 100.0, repeat('x', 1000) FROM generate_series(1, $1::int) g`,
            [backlog],
          ),
      },
    ];
    for (const shape of shapes) {
      const drains: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        await fetch(`${sourceApp.url}/pause`, { method: 'POST' });
        const base = await processed(sinkApp);
        await shape.write();
        const startedAt = Date.now();
        await fetch(`${sourceApp.url}/resume`, { method: 'POST' });
        await until(
          async () => (await processed(sinkApp)) >= base + backlog,
          600_000,
          'the backlog at the sink',
          undefined,
          // A drain takes about a second: polled finely, or the poll's delay is much of the figure
          // (by /status: rendering /metrics 40 times a second would cost the sink CPU of its own).
          25,
        );
        drains.push(backlog / ((Date.now() - startedAt) / 1000));
        process.stderr.write(
          `  e2e max (${shape.label}) run ${run + 1}: ${drains.at(-1)!.toFixed(0)} rows/s\n`,
        );
      }
      figures.push({
        name: `end to end, maximum: a backlog of ${backlog.toLocaleString('en-US')} rows (${shape.label}) drained source → sink`,
        unit: 'rows/s',
        runs: drains,
      });
    }
    return figures;
  } finally {
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
    await admin.disconnect();
  }
}
