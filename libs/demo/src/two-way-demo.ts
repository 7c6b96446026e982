import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { planTwoWaySync } from '@sluice/connectors';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { AppProcess } from './app-process';
import { type CheckResult } from './pipeline-checks';

export interface TwoWayDemoOptions {
  readonly projectRoot: string;
  /** Seconds of workload; undefined runs until `signal` aborts (Ctrl-C). */
  readonly durationSeconds: number | undefined;
  /** Changes per second written on each side. */
  readonly rate: number;
  /** Leave the apps running (and their slots) after the summary. */
  readonly keep: boolean;
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  readonly stack: {
    readonly kafkaBrokers: readonly string[];
    readonly registryUrl: string;
    readonly postgres: { host: string; port: number; user: string; password: string };
  };
}

export interface TwoWayDemoOutcome {
  readonly checks: readonly CheckResult[];
  readonly ok: boolean;
}

/** The synced table's schema on both databases (also the sinks' bookkeeping schema). */
export const TWO_WAY_SCHEMA = 'demo_sync';
const TABLE = `${TWO_WAY_SCHEMA}.accounts`;
/** A key space small enough that both sides keep changing the same rows: conflicts to resolve. */
const KEYS = 200;
const SITES = ['a', 'b'] as const;
type Site = (typeof SITES)[number];
const DATABASE: Record<Site, string> = { a: 'source', b: 'sink' };

/**
 * `sluice demo --two-way`: two databases of the local stack (`source` as site a, `sink` as site b)
 * kept in step both ways by the four apps `sluice sync plan` derives from one document, each its
 * own process; a workload writes random inserts, updates and deletes of the same 200 accounts on
 * both sides at once; then both sides must hold the same rows (convergence under last writer
 * wins), and the topics must stay still once they do (no echo).
 */
export async function runTwoWayDemo(options: TwoWayDemoOptions): Promise<TwoWayDemoOutcome> {
  const { out, stack } = options;
  // A new name per run: its topics, slots and sink groups start empty.
  const name = `demo_sync_${Date.now().toString(36)}`;
  const dir = join(options.projectRoot, '.sluice', 'demo-two-way');
  mkdirSync(dir, { recursive: true });
  const clients = {} as Record<Site, Client>;
  for (const site of SITES) {
    clients[site] = new Client({
      ...stack.postgres,
      database: DATABASE[site],
      application_name: 'sluice-demo',
    });
    await clients[site].connect();
  }
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stack.kafkaBrokers,
      clientId: 'sluice-demo-two-way',
      logLevel: 'nothing',
    }),
  );
  const admin = kafka.admin();
  await admin.connect();
  const apps: AppProcess[] = [];
  try {
    out('preparing: a fresh demo_sync schema on both databases, earlier two-way demos removed');
    await removeEarlierRuns(clients, admin);
    for (const site of SITES) {
      const db = clients[site];
      await db.query(`CREATE SCHEMA ${TWO_WAY_SCHEMA}`);
      await db.query(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, owner text, balance int, written_on text)`);
      await db.query(`ALTER TABLE ${TABLE} REPLICA IDENTITY FULL`);
    }
    await clients.a.query(
      `INSERT INTO ${TABLE} SELECT g, 'owner ' || g, 100, 'a' FROM generate_series(1, ${KEYS / 2}) g`,
    );

    const plan = planTwoWaySync({
      name,
      sites: Object.fromEntries(
        SITES.map((site) => [site, { postgres: { ...stack.postgres, database: DATABASE[site] } }]),
      ),
      tables: [TABLE],
      rule: 'last-writer-wins',
      // No column-level merge: it tells the columns changed here by value, and this workload's
      // balance goes up and down and written_on flips between a and b, so a column changed and
      // changed back looks unchanged and the sides could end different (docs/two-way-sync.md, Not
      // guaranteed). The rule decides every concurrent change for the whole row: they converge.
      merge: false,
      // By name, so each source counts the sink's changes it leaves out (with `all`, Postgres does).
      skipOrigins: 'names',
      kafka: { brokers: stack.kafkaBrokers, logLevel: 'nothing' },
      registry: { url: stack.registryUrl },
    });
    for (const planned of plan) {
      // The plan's ports (81xx) are the one-way demo's: 82xx, so both demos can run at once.
      const port = (planned.config.http as { port: number }).port + 100;
      const config = {
        ...planned.config,
        http: { port },
        logging: { level: 'warn' },
      } as Record<string, unknown>;
      if (planned.app === 'sink-postgres')
        config.target = { ...(config.target as object), bookkeepingSchema: TWO_WAY_SCHEMA };
      const file = join(dir, `${planned.name}.yaml`);
      writeFileSync(file, JSON.stringify(config, null, 2));
      apps.push(
        new AppProcess({
          app: planned.app,
          name: planned.name,
          projectRoot: options.projectRoot,
          configFile: file,
          url: `http://127.0.0.1:${port}`,
          logFile: join(dir, 'logs', `${planned.name}.log`),
        }),
      );
    }
    out(`sluice sync plan: ${apps.map((a) => a.name).join(', ')} (configurations in ${dir})`);
    // Both sources streaming (their snapshots done) before either sink writes.
    const sources = apps.filter((a) => a.options.app === 'source-postgres');
    const sinks = apps.filter((a) => a.options.app === 'sink-postgres');
    for (const app of [...sources, ...sinks]) {
      app.start();
      out(`started ${app.name.padEnd(12)} pid ${app.pid}  ${app.url}  log ${app.options.logFile}`);
      await app.ready(90_000);
      if (app.options.app === 'source-postgres') await untilStreaming(app);
    }

    const written: Record<Site, number> = { a: 0, b: 0 };
    const started = Date.now();
    const stopAt =
      options.durationSeconds === undefined ? Infinity : started + options.durationSeconds * 1000;
    const stop = () => options.signal.aborted || Date.now() >= stopAt;
    out(
      `workload: ${options.rate} changes/s on each side, the same ${KEYS} accounts ` +
        `(${options.durationSeconds === undefined ? 'Ctrl-C to stop' : `${options.durationSeconds} s`})`,
    );
    const view = setInterval(() => {
      void liveLine(apps, written, (Date.now() - started) / 1000).then(out);
    }, 3000);
    try {
      await Promise.all(SITES.map((site) => workload(clients[site], site, options.rate, written, stop)));
    } finally {
      clearInterval(view);
    }

    out('workload stopped: waiting for both sides to agree');
    const checks: CheckResult[] = [await checkConverged(clients), await checkQuiet(admin, name)];
    out(await liveLine(apps, written, (Date.now() - started) / 1000));
    for (const check of checks) out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
    return { checks, ok: checks.every((c) => c.ok) };
  } finally {
    if (!options.keep) {
      for (const app of apps) await app.stop();
      // A slot left behind keeps its database's WAL, and an origin one of the server's few
      // replication states (max_active_replication_origins): dropped with the run (the tables stay).
      for (const site of SITES) {
        await dropSlots(clients[site], `${name}_`);
        await dropOrigins(clients[site], `sluice_${name}_`);
      }
    } else out(`--keep: the four apps keep running (${apps.map((a) => a.url).join(', ')})`);
    await admin.disconnect();
    for (const site of SITES) await clients[site].end();
  }
}

/** Random upserts, updates and deletes of the same keys at `rate` per second, until `stop()`. */
async function workload(
  db: Client,
  site: Site,
  rate: number,
  written: Record<Site, number>,
  stop: () => boolean,
): Promise<void> {
  const tickMs = 100;
  let owed = 0;
  while (!stop()) {
    const tick = Date.now();
    owed += (rate * tickMs) / 1000;
    for (; owed >= 1; owed--) {
      const id = 1 + Math.floor(Math.random() * KEYS);
      const dice = Math.random();
      const [sql, params]: [string, unknown[]] =
        dice < 0.45
          ? [
              `INSERT INTO ${TABLE} VALUES ($1::int, 'owner ' || $1::int, 100, $2) ` +
                `ON CONFLICT (id) DO UPDATE SET balance = ${TABLE}.balance + 1, written_on = $2`,
              [id, site],
            ]
          : dice < 0.85
            ? [`UPDATE ${TABLE} SET balance = balance - 1, written_on = $2 WHERE id = $1`, [id, site]]
            : [`DELETE FROM ${TABLE} WHERE id = $1`, [id]];
      try {
        written[site] += (await db.query(sql, params)).rowCount ?? 0;
      } catch (error) {
        // A deadlock with the sink writing the same rows: Postgres ends one side, the change is not made.
        if ((error as { code?: string }).code !== '40P01') throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, tick + tickMs - Date.now())));
  }
}

interface SourceStatus {
  phase: string;
  eventsPublished: number;
  changesSkippedByOrigin: number;
}
interface SinkStatus {
  conflicts: number;
  rowsUpserted: number;
  rowsDeleted: number;
}

async function untilStreaming(app: AppProcess): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await app.get<SourceStatus>('/status'))?.phase !== 'streaming') {
    if (Date.now() > deadline)
      throw new Error(`${app.name} not streaming within 90 s (log ${app.options.logFile})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One line of the live view: per side what was written, published, skipped as own, and resolved. */
async function liveLine(apps: AppProcess[], written: Record<Site, number>, seconds: number): Promise<string> {
  const parts: string[] = [];
  for (const site of SITES) {
    const peer = site === 'a' ? 'b' : 'a';
    const source = await apps.find((a) => a.name === `source-${site}`)!.get<SourceStatus>('/status');
    const sink = await apps.find((a) => a.name === `sink-${site}-to-${peer}`)!.get<SinkStatus>('/status');
    parts.push(
      `${site}→${peer}: written ${written[site]}, published ${source?.eventsPublished ?? '?'}, ` +
        `applied ${sink ? sink.rowsUpserted + sink.rowsDeleted : '?'}, conflicts ${sink?.conflicts ?? '?'}, ` +
        `echo skipped by source-${peer} ${(await apps.find((a) => a.name === `source-${peer}`)!.get<SourceStatus>('/status'))?.changesSkippedByOrigin ?? '?'}`,
    );
  }
  return `${seconds.toFixed(0).padStart(4)} s  ${parts.join(' | ')}`;
}

async function rowsOf(db: Client): Promise<string[]> {
  const { rows } = await db.query<{ line: string }>(
    `SELECT concat_ws(':', id, owner, balance, written_on) AS line FROM ${TABLE} ORDER BY id`,
  );
  return rows.map((r) => r.line);
}

async function checkConverged(clients: Record<Site, Client>): Promise<CheckResult> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const [a, b] = [await rowsOf(clients.a), await rowsOf(clients.b)];
    const same = JSON.stringify(a) === JSON.stringify(b);
    if (same || Date.now() > deadline) {
      const onlyA = a.filter((r) => !b.includes(r)).length;
      const onlyB = b.filter((r) => !a.includes(r)).length;
      return {
        name: 'both databases equal row for row',
        ok: same,
        detail: same ? `${a.length} accounts on each side` : `${onlyA} rows only on a, ${onlyB} only on b`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** No echo: once both sides agree, neither direction's topic moves for five seconds. */
async function checkQuiet(admin: ReturnType<ReturnType<typeof createKafkaClient>['admin']>, name: string) {
  const topics = SITES.map((site) => `${name}.${site}.${TABLE}`);
  const ends = async () =>
    (await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))))
      .map((offsets) => offsets.reduce((sum, o) => sum + Number(o.high), 0))
      .join(',');
  const before = await ends();
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const after = await ends();
  return {
    name: 'no echo: the topics stay still once both sides agree',
    ok: before === after,
    detail: before === after ? `${topics.join(', ')} at ${before}` : `moved from ${before} to ${after}`,
  } satisfies CheckResult;
}

async function dropSlots(db: Client, prefix: string): Promise<void> {
  const like = `${prefix.replace(/_/g, '\\_')}%`;
  await db.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active`,
    [like],
  );
  for (const { pubname } of (
    await db.query<{ pubname: string }>('SELECT pubname FROM pg_publication WHERE pubname LIKE $1', [like])
  ).rows)
    await db.query(`DROP PUBLICATION "${pubname}"`);
}

async function dropOrigins(db: Client, prefix: string): Promise<void> {
  // Origins are per server: from one database of it, all of them.
  await db
    .query('SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE $1', [
      `${prefix.replace(/_/g, '\\_')}%`,
    ])
    .catch(() => undefined);
}

/** What an earlier `--two-way` run left: its slots, publications, origins, topics and the schema. */
async function removeEarlierRuns(
  clients: Record<Site, Client>,
  admin: ReturnType<ReturnType<typeof createKafkaClient>['admin']>,
): Promise<void> {
  for (const site of SITES) {
    const db = clients[site];
    await dropSlots(db, 'demo_sync_');
    // An origin still in use (a run left with --keep) stays: its sink is still running.
    await dropOrigins(db, 'sluice_demo_sync_');
    await db.query(`DROP SCHEMA IF EXISTS ${TWO_WAY_SCHEMA} CASCADE`);
  }
  const earlier = (await admin.listTopics()).filter((t) => t.startsWith('demo_sync_'));
  if (earlier.length > 0) await admin.deleteTopics({ topics: earlier });
}
