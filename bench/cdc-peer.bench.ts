// Debezium side by side (issue #23, suite `cdc-peer`): the same backlog of single-row transactions
// drained by source-postgres (Avro + registry, exactly once: its defaults) and by the real Debezium
// Postgres connector 3.6.1 on Kafka Connect 4.1.2 standalone (JsonConverter without schemas, its
// lightest setting), each from its own copy of one slot created before the WAL was written, into
// its own topic of 3 partitions with message.timestamp.type=LogAppendTime. Debezium's runs share one
// Connect worker started before the first (a connector added and removed per run, as on a
// long-running Connect cluster), its JVM with HotSpot's full tiered compilation. The rate of each
// is the events between its first and last append over the time between them (broker clock), so
// the JVM's and the app's start-up are not counted on either side. Runs alternate which side drains
// first. Then, each side caught up and still streaming, pgbench (its own process) inserts ~1 KB rows
// at LIVE_RATE/s: the latency of every change from its Postgres commit (source.ts_ms for Debezium,
// the sluice.source.ts header for Sluice, both the commit record's time in ms) to its broker append.
// Needs Java 17 and Maven Central once (the jars are cached); without them the suite says so.
import { Client } from 'pg';
import { type ConnectorApp, createConnectorApp } from '@sluice/connect';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKafkaClient,
  kafkaConfigSchema,
  type RangeRecord,
  readTopicRange,
  resolveRange,
  TopicProvisioner,
} from '@sluice/kafka';
import { SOURCE_COMMIT_TS_HEADER } from '@sluice/observability';
import { type RunningSource, sourcePostgresConnector } from '@sluice/postgres-cdc';
import {
  ConnectWorker,
  DebeziumPeer,
  debeziumUnavailable,
  stackAddresses,
  until,
  untilStill,
} from '@sluice/test-support';
import { type BenchFigure, percentile } from './support/bench-figure';
import { dropSlotWhenReleased } from './support/logical-slots';
import { pgbench } from './support/pgbench';

export interface CdcPeerBenchOptions {
  runs: number;
  quick: boolean;
  /** Transactions in the backlog; default 50,000 (10,000 with quick). */
  transactions?: number;
}

const DATABASE = 'source';
/** Change events per 10 transactions of the mix: 5 inserts, 3 updates, 2 deletes + 2 tombstones. */
const EVENTS_PER_10 = 12;

type Kafka = ReturnType<typeof createKafkaClient>;

/** Changes per second while the commit → Kafka latency is measured: well under either side's drain. */
const LIVE_RATE = 1_000;

/** A Sluice record's source commit time (ms): the header every change event carries. */
function sluiceCommitMs(record: RangeRecord): number | undefined {
  const header = record.headers[SOURCE_COMMIT_TS_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value ? Number(value.toString()) : undefined;
}

/** A Debezium record's source commit time (ms): `source.ts_ms` of its JSON envelope (no schemas). */
function debeziumCommitMs(record: RangeRecord): number | undefined {
  if (!record.value) return undefined; // a tombstone
  const envelope = JSON.parse(record.value.toString()) as { source?: { ts_ms?: number } };
  return envelope.source?.ts_ms;
}

export async function benchCdcPeer(options: CdcPeerBenchOptions): Promise<BenchFigure[]> {
  const unavailable = debeziumUnavailable((line) => process.stderr.write(`  ${line}\n`));
  if (unavailable) {
    process.stderr.write(`  cdc-peer skipped: Debezium cannot run here: ${unavailable}\n`);
    return [];
  }
  const count = options.transactions ?? (options.quick ? 10_000 : 50_000);
  const expectedEvents = (count / 10) * EVENTS_PER_10;
  const addresses = stackAddresses();
  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  const table = `bench_peer_${suffix}`;
  const publication = `bench_peer_pub_${suffix}`;
  const origin = `bench_peer_origin_${suffix}`;
  const admin = new Client({ ...addresses.postgres, database: DATABASE });
  await admin.connect();
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({ brokers: addresses.kafkaBrokers, clientId: 'sluice-bench' }),
  );
  // A Kafka admin client per use: the Debezium peer deletes its topics when it stops, and an admin
  // that has seen a topic keeps refreshing its metadata, failing once it is gone.
  const withAdmin = async <T>(use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  };
  const liveSeconds = options.quick ? 1 : 10;
  // The live changes go to a table of their own, in the same publication: the backlog's topic (the
  // drain rates) stays as it was, and a later run's slot copy, which streams the earlier runs' live
  // changes too, delivers them to the live topic before its own window (they are filtered out).
  const liveTable = `${table}_live`;
  const sequence = `${table}_live_id`;
  const script = join(mkdtempSync(join(tmpdir(), 'sluice-bench-peer-')), 'live.sql');
  writeFileSync(
    script,
    `INSERT INTO ${liveTable} VALUES (nextval('${sequence}'), 'live', random() * 1000, now(), repeat(md5(random()::text), 30));\n`,
  );
  const caughtUp = (topic: string) =>
    untilStill(
      () => withAdmin((admin) => appended(admin, topic)),
      500,
      120_000,
      `${topic} to stand still`,
      500,
    );
  /**
   * Commit → broker append of every change pgbench makes at LIVE_RATE while a side streams
   * `topic` (the live table's), once the side has caught up: only changes committed in the window.
   */
  const liveLatencies = async (topic: string, commitMs: (record: RangeRecord) => number | undefined) => {
    await caughtUp(topic);
    const before = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    const windowStart = Date.now();
    await pgbench(addresses.postgres, DATABASE, script, {
      rate: LIVE_RATE,
      seconds: liveSeconds,
      clients: 4,
    });
    await caughtUp(topic);
    const after = await withAdmin((admin) => admin.fetchTopicOffsets(topic));
    const latencies: number[] = [];
    await readTopicRange(kafka, {
      topic,
      partitions: before.map((b) => ({
        partition: b.partition,
        from: BigInt(b.high),
        to: BigInt(after.find((a) => a.partition === b.partition)!.high),
      })),
      onBatch: (_partition, records) => {
        for (const record of records) {
          const at = commitMs(record);
          if (at !== undefined && at >= windowStart) latencies.push(record.timestamp - at);
        }
      },
    });
    if (latencies.length === 0) throw new Error(`no live change reached ${topic}`);
    return latencies;
  };
  const live = { sluice: [] as number[][], debezium: [] as number[][] };
  let connect: ConnectWorker | undefined;
  const slots = [origin];
  const topics: string[] = [];
  /** The backlog's topic and the live table's of one side's run, appends stamped by the broker. */
  const provision = async (prefix: string): Promise<{ topic: string; liveTopic: string }> => {
    const [topic, liveTopic] = [`${prefix}.public.${table}`, `${prefix}.public.${liveTable}`];
    topics.push(topic, liveTopic);
    await withAdmin((admin) =>
      new TopicProvisioner(admin).provision(
        [topic, liveTopic].map((name) => ({
          name,
          partitions: 3,
          replicationFactor: 1,
          configs: { 'message.timestamp.type': 'LogAppendTime' },
        })),
      ),
    );
    return { topic, liveTopic };
  };

  try {
    await admin.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),
         updated_at timestamptz NOT NULL DEFAULT now(), payload text)`,
    );
    await admin.query(`CREATE TABLE ${liveTable} (LIKE ${table} INCLUDING ALL)`);
    await admin.query(`CREATE SEQUENCE ${sequence}`);
    await admin.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}, ${liveTable}`);
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

    const sluiceRates: number[] = [];
    const debeziumRates: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const order = run % 2 ? (['debezium', 'sluice'] as const) : (['sluice', 'debezium'] as const);
      for (const side of order) {
        const slot = `bench_peer_${side}${run}_${suffix}`;
        await admin.query('SELECT pg_copy_logical_replication_slot($1, $2)', [origin, slot]);
        slots.push(slot);
        const prefix = `bench_peer_${side}${run}_${suffix}`;
        const { topic, liveTopic } = await provision(prefix);
        if (side === 'sluice') {
          topics.push(`${prefix}.offsets`);
          const app = await startSluice(prefix, slot, publication, [table, liveTable]);
          try {
            await until(
              () => {
                const status = app.connector.status();
                return status.eventsPublished >= expectedEvents && status.eventsPending === 0;
              },
              300_000,
              'Sluice to drain',
            );
            sluiceRates.push(await appendRate(kafka, topic, expectedEvents));
            live.sluice.push(await liveLatencies(liveTopic, sluiceCommitMs));
          } finally {
            await app.close();
          }
        } else {
          connect ??= await ConnectWorker.start({ jit: 'steady' });
          const peer = await DebeziumPeer.start({
            worker: connect,
            name: prefix,
            slot,
            publication,
            tables: [`public.${table}`, `public.${liveTable}`],
            schemas: false,
            settings: {
              'publication.autocreate.mode': 'disabled',
              'snapshot.mode': 'no_data',
              'slot.drop.on.stop': 'false',
            },
          });
          try {
            await until(
              async () => {
                // Polled at most 4 times a second: the side measured shares the machine.
                await new Promise((resolve) => setTimeout(resolve, 250));
                await peer.assertHealthy();
                return (await withAdmin((admin) => appended(admin, topic))) >= expectedEvents;
              },
              300_000,
              'Debezium to drain',
            );
            // Before stop(): the peer deletes the topics under its prefix.
            debeziumRates.push(await appendRate(kafka, topic, expectedEvents));
            live.debezium.push(await liveLatencies(liveTopic, debeziumCommitMs));
          } finally {
            await peer.stop();
          }
        }
        const rate = (side === 'sluice' ? sluiceRates : debeziumRates).at(-1)!;
        const latencies = live[side].at(-1)!;
        process.stderr.write(
          `  run ${run}: ${side} ${Math.round(rate)} events/s; live at ${LIVE_RATE}/s: commit → Kafka p50 ` +
            `${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms (${latencies.length} changes)\n`,
        );
        await dropSlotWhenReleased(admin, slot);
      }
    }
    return [
      {
        name: `source-postgres (Avro, exactly once) beside Debezium 3.6.1 on Kafka Connect 4.1.2 (JsonConverter, no schemas): ${count.toLocaleString('en-US')} single-row txns of ~1 KB (50% ins, 30% upd, 20% del) drained from a slot copy, first to last broker append`,
        unit: 'events/s',
        runs: sluiceRates,
        baseline: { name: 'Debezium, same backlog, runs interleaved', runs: debeziumRates },
        goal: '>= 3x Debezium',
      },
      ...([50, 99] as const).map((p) => ({
        name: `same sides streaming, caught up: Postgres commit → broker append p${p}, pgbench inserting ~1 KB rows at ${LIVE_RATE.toLocaleString('en-US')}/s for ${liveSeconds} s (Sluice's appends are read_committed-visible at its Kafka commit, up to delivery.commitIntervalMs later)`,
        unit: 'ms',
        runs: live.sluice.map((l) => percentile(l, p)),
        baseline: {
          name: 'Debezium, same load, runs interleaved',
          runs: live.debezium.map((l) => percentile(l, p)),
        },
        ...(p === 99 ? { goal: 'lower than Debezium' } : {}),
      })),
    ];
  } finally {
    await connect?.stop();
    for (const slot of slots) await dropSlotWhenReleased(admin, slot).catch(() => undefined);
    await admin.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.query(`DROP TABLE IF EXISTS ${liveTable}`).catch(() => undefined);
    await admin.query(`DROP SEQUENCE IF EXISTS ${sequence}`).catch(() => undefined);
    await admin.end();
    await withAdmin(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const mine = topics.filter((t) => existing.has(t));
      if (mine.length) await admin.deleteTopics({ topics: mine });
    }).catch(() => undefined);
  }
}

function startSluice(
  prefix: string,
  slot: string,
  publication: string,
  tables: readonly string[],
): Promise<ConnectorApp<RunningSource>> {
  const addresses = stackAddresses();
  return createConnectorApp<RunningSource>(
    sourcePostgresConnector,
    sourcePostgresConnector.configSchema.parse({
      topicPrefix: prefix,
      postgres: { ...addresses.postgres, database: DATABASE },
      slot: { name: slot },
      publication: { name: publication, autocreate: 'disabled' },
      tables: { include: tables.map((t) => `public.${t}`) },
      snapshot: { mode: 'never' },
      heartbeat: { intervalMs: 0 },
      kafka: { brokers: addresses.kafkaBrokers, clientId: 'sluice-bench-peer' },
      registry: { url: addresses.registryUrl },
      http: { port: 0 },
      logging: { level: 'warn' },
    }),
  );
}

/** Records appended to `topic` so far (high watermarks; Debezium writes no transaction markers). */
async function appended(admin: ReturnType<Kafka['admin']>, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

/** Events per second between the first and the last append of `topic` (LogAppendTime). */
async function appendRate(kafka: Kafka, topic: string, events: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions;
  try {
    partitions = await resolveRange(admin, topic, {});
  } finally {
    await admin.disconnect();
  }
  let first = Infinity;
  let last = -Infinity;
  await readTopicRange(kafka, {
    topic,
    partitions,
    onBatch: (_partition, records) => {
      for (const { timestamp } of records) {
        if (timestamp < first) first = timestamp;
        if (timestamp > last) last = timestamp;
      }
    },
  });
  return (events - 1) / Math.max(0.001, (last - first) / 1000);
}
