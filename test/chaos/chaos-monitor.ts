import { type Admin, type Kafka } from 'kafkajs';
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { REPLICA_SCHEMA } from './chaos-database';
import {
  type AppName,
  APP_NAMES,
  type ChaosPipeline,
  CONSUMER_INPUTS,
  OUTPUT_TOPICS,
  SINK_GROUP,
  SOURCE_TOPICS,
  type SupervisedApp,
  TRANSFORMER_GROUP,
} from './chaos-pipeline';
import { type ChaosAddresses, type ChaosStack } from './chaos-stack';
import { type ChaosWorkload } from './chaos-workload';
import { type ProgressReading, ProgressTrack, type SampleContext, type Stall } from './progress-track';

const PROBE_TIMEOUT_MS = 1500;
/** A /health/live failing this long (with an answer) gets the app killed and started again, as Kubernetes would. */
const LIVENESS_RESTART_AFTER_MS = 30_000;

/**
 * An app's time to recover from one fault: from the moment the fault struck until the app was seen
 * making progress again, after what the fault broke was back (a marker moving while the broker is
 * still down is a late confirmation of earlier work, not a recovery).
 */
export interface RecoveryWatch {
  readonly faultIndex: number;
  readonly app: AppName;
  /** When the fault struck. */
  readonly since: number;
  /** Progress counts from here: the strike, then the moment the broken part was back. */
  progressAfter: number;
  recoveredAt?: number;
}

type Offsets = Map<string, bigint>; // "topic:partition" → offset

/** What the monitor saw last of the pipeline, for the drain and the report. */
export interface PipelineView {
  /** Records waiting per consumer (end offsets minus committed offsets). */
  readonly lag: Record<'transformer' | 'sink-postgres', number | undefined>;
  readonly sourcePending: number | undefined;
  /** What each app has waiting, as last sampled (undefined: nothing). */
  readonly waiting: Record<AppName, string | undefined>;
  readonly statuses: Record<AppName, Record<string, unknown> | undefined>;
}

/**
 * Samples every app once a second while the chaos runs: `/status` and `/health/live` of each, the
 * end offsets of every topic and the consumers' committed offsets (the transformer's in Kafka, the
 * sink's in its target database). From them, per app: progress (the source's confirmed LSN and
 * published events, the consumers' committed offsets), work waiting (the source's pending events or
 * the workload's new transactions, the consumers' lag), the stalls between them, and each fault's
 * recovery. It also plays Kubernetes: an app that exited on its own is started again, one whose
 * live probe keeps failing is killed and started again, a dead registry is revived.
 */
export class ChaosMonitor {
  private readonly tracks: Record<AppName, ProgressTrack>;
  private readonly watches: RecoveryWatch[] = [];
  private readonly ends: Offsets = new Map();
  private readonly committed: Record<'transformer' | 'sink-postgres', Offsets> = {
    transformer: new Map(),
    'sink-postgres': new Map(),
  };
  private readonly latestStatus = {} as Record<AppName, Record<string, unknown> | undefined>;
  private readonly waitingNow = {} as Record<AppName, string | undefined>;
  private readonly failingLiveSince: Partial<Record<AppName, number>> = {};
  /** Kubernetes-style restarts after a failing live probe. */
  readonly livenessRestarts: { app: AppName; at: number }[] = [];
  /** Times the registry was found dead and started again. */
  readonly registryRevivals: number[] = [];
  private committedAtSourceProgress = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private admin: Admin | undefined;
  private sinkDb: Client | undefined;
  private readonly kafka: Kafka;
  private ticks = 0;
  private revivingRegistry = false;
  private kafkaError: string | undefined;

  constructor(
    private readonly pipeline: ChaosPipeline,
    private readonly stack: ChaosStack,
    private readonly addresses: ChaosAddresses,
    private readonly workload: ChaosWorkload,
    private readonly log: (line: string) => void,
  ) {
    const now = Date.now();
    this.tracks = Object.fromEntries(APP_NAMES.map((a) => [a, new ProgressTrack(a, now)])) as Record<
      AppName,
      ProgressTrack
    >;
    this.kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        brokers: addresses.kafkaBrokers,
        clientId: 'sluice-chaos-monitor',
        logLevel: 'nothing',
        connectionTimeoutMs: 1000,
        requestTimeoutMs: PROBE_TIMEOUT_MS,
        retry: { retries: 0 },
      }),
    );
  }

  start(): void {
    this.running = true;
    this.loop ??= (async () => {
      while (this.running) {
        const started = Date.now();
        await this.tick().catch((error: unknown) => this.log(`monitor: ${(error as Error).message}`));
        await sleep(Math.max(0, 1000 - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const track of Object.values(this.tracks)) track.finish();
    await this.admin?.disconnect().catch(() => undefined);
    await this.sinkDb?.end().catch(() => undefined);
  }

  /** From `since`, waits for each of `apps` to make progress again (a fault's recovery). */
  watchRecovery(faultIndex: number, apps: readonly AppName[], since: number): void {
    for (const app of apps) this.watches.push({ faultIndex, app, since, progressAfter: since });
  }

  /** What the fault broke is back at `at`: only progress after it is a recovery. */
  faultRestored(faultIndex: number, at: number): void {
    for (const w of this.watches) {
      if (w.faultIndex !== faultIndex) continue;
      w.progressAfter = Math.max(w.progressAfter, at);
      if (w.recoveredAt !== undefined && w.recoveredAt <= at) w.recoveredAt = undefined;
    }
  }

  recoveries(): readonly RecoveryWatch[] {
    return this.watches;
  }

  stalls(app: AppName): readonly Stall[] {
    return this.tracks[app].stalls;
  }

  longestStall(app: AppName): Stall | undefined {
    return this.tracks[app].longest();
  }

  /** The longest stall going on right now, for the progress lines. */
  stalledNow(): { app: AppName; ms: number } | undefined {
    const now = Date.now();
    return APP_NAMES.map((app) => ({ app, ms: this.tracks[app].stalledFor(now) })).reduce(
      (max, s) => (s.ms > (max?.ms ?? 0) ? s : max),
      undefined as { app: AppName; ms: number } | undefined,
    );
  }

  view(): PipelineView {
    return {
      lag: {
        transformer: this.lagOf('transformer')?.total,
        'sink-postgres': this.lagOf('sink-postgres')?.total,
      },
      sourcePending: this.latestStatus['source-postgres']?.eventsPending as number | undefined,
      waiting: { ...this.waitingNow },
      statuses: { ...this.latestStatus },
    };
  }

  private async tick(): Promise<void> {
    const at = Date.now();
    this.ticks++;
    for (const app of this.pipeline.list) app.superviseOnce();
    if (this.ticks % 5 === 0) this.reviveRegistry();

    const apps = this.pipeline.list;
    const [answers, kafkaRead, sinkRead] = await Promise.all([
      Promise.all(apps.map((app) => probeApp(app))),
      this.readKafka(),
      this.readSinkOffsets(),
    ]);
    // A marker is compared only when read afresh: a stale one would date an old move after a fault.
    const fresh = { transformer: kafkaRead, 'sink-postgres': sinkRead };
    for (const [i, app] of apps.entries()) {
      const { status, live } = answers[i]!;
      if (status) this.latestStatus[app.name] = status;
      this.superviseLiveness(app, live, at);
      const context: SampleContext = {
        live,
        phase: status?.phase as string | undefined,
        pid: app.pid,
        status: status ? briefStatus(app.name, status) : undefined,
      };
      const { reading, waiting } =
        app.name === 'source-postgres'
          ? this.sourceSample(app, status)
          : this.consumerSample(app, status, fresh[app.name]);
      this.waitingNow[app.name] = waiting;
      // The apps' own definition of a stall (docs/liveness.md): work waiting while the dependencies
      // answer. Behind a broker (or, for the source and the sink, a Postgres) that does not answer
      // here either, the clock does not run; it starts again when the dependency is back.
      const dependencyDown = !kafkaRead || (app.name !== 'transformer' && !sinkRead);
      const step = this.tracks[app.name].observe(at, reading, dependencyDown ? undefined : waiting, context);
      if (step.progressed && step.since !== undefined) {
        if (app.name === 'source-postgres') this.committedAtSourceProgress = this.workload.status.committed;
        for (const w of this.watches)
          if (w.app === app.name && w.recoveredAt === undefined && step.since >= w.progressAfter)
            w.recoveredAt = at;
      }
    }
  }

  private sourceSample(
    app: SupervisedApp,
    status: Record<string, unknown> | undefined,
  ): { reading: ProgressReading | undefined; waiting: string | undefined } {
    const written = this.workload.status.committed - this.committedAtSourceProgress;
    const pending = status ? Number(status.eventsPending ?? 0) : undefined;
    const lagBytes = status?.lagBytes as number | undefined;
    const reading =
      status === undefined
        ? undefined
        : {
            marker: lsnValue(status.confirmedLsn as string | undefined),
            pid: app.pid,
            count: Number(status.eventsPublished ?? 0),
            startedAt: app.starts.at(-1)?.at,
          };
    const parts: string[] = [];
    if (status === undefined) parts.push('not answering /status');
    if ((pending ?? 0) > 0) parts.push(`${pending} events pending`);
    if (written > 0) parts.push(`${written} transactions committed since it last moved`);
    if (parts.length === (status === undefined ? 1 : 0)) return { reading, waiting: undefined };
    if (lagBytes !== undefined) parts.push(`slot lag ${lagBytes} bytes`);
    return { reading, waiting: parts.join(', ') };
  }

  private consumerSample(
    app: SupervisedApp,
    status: Record<string, unknown> | undefined,
    fresh: boolean,
  ): { reading: ProgressReading | undefined; waiting: string | undefined } {
    const name = app.name as 'transformer' | 'sink-postgres';
    const committed = this.committed[name];
    const lag = this.lagOf(name);
    const reading = fresh
      ? { marker: [...committed.values()].reduce((a, b) => a + b, 0n), pid: app.pid }
      : undefined;
    if (lag === undefined || lag.total === 0) return { reading, waiting: undefined };
    const where = Object.entries(lag.perTopic)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${n} on ${t}`)
      .join(', ');
    return {
      reading,
      waiting: `lag ${lag.total} records (${where})${status === undefined ? ', not answering /status' : ''}`,
    };
  }

  /** Records between what a consumer committed and the ends of its inputs. */
  private lagOf(
    name: 'transformer' | 'sink-postgres',
  ): { total: number; perTopic: Record<string, number> } | undefined {
    if (this.ends.size === 0) return undefined;
    const perTopic: Record<string, number> = {};
    let total = 0;
    for (const { topic } of CONSUMER_INPUTS[name]) {
      for (const [key, end] of this.ends) {
        if (!key.startsWith(`${topic}:`)) continue;
        const done = this.committed[name].get(key) ?? 0n;
        // Commits move past an exactly-once topic's commit markers: a caught-up consumer is at the end.
        const behind = Number(end - done);
        if (behind > 0) {
          perTopic[topic] = (perTopic[topic] ?? 0) + behind;
          total += behind;
        }
      }
    }
    return { total, perTopic };
  }

  private async readKafka(): Promise<boolean> {
    try {
      const admin = await withTimeout(this.connectAdmin(), PROBE_TIMEOUT_MS);
      const topics = [...Object.values(SOURCE_TOPICS), ...Object.values(OUTPUT_TOPICS)];
      // One after the other: the group's coordinator is found from metadata the first call loads.
      const [ends, offsets] = await withTimeout(
        (async () =>
          [
            await Promise.all(
              topics.map((topic) => admin.fetchTopicOffsets(topic).then((o) => ({ topic, o }))),
            ),
            await admin.fetchOffsets({ groupId: TRANSFORMER_GROUP, topics: [SOURCE_TOPICS.orders] }),
          ] as const)(),
        PROBE_TIMEOUT_MS,
      );
      for (const { topic, o } of ends)
        for (const p of o) this.ends.set(`${topic}:${p.partition}`, BigInt(p.high));
      for (const { topic, partitions } of offsets)
        for (const p of partitions)
          if (Number(p.offset) >= 0)
            this.committed.transformer.set(`${topic}:${p.partition}`, BigInt(p.offset));
      this.kafkaError = undefined;
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.kafkaError) this.log(`monitor: cannot read Kafka offsets: ${message}`);
      this.kafkaError = message;
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      return false;
    }
  }

  private async connectAdmin(): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin();
    await admin.connect();
    this.admin = admin;
    return admin;
  }

  private async readSinkOffsets(): Promise<boolean> {
    try {
      if (this.sinkDb === undefined) {
        const client = new Client({
          ...this.addresses.postgres,
          database: 'sink',
          application_name: 'sluice-chaos-monitor',
          connectionTimeoutMillis: PROBE_TIMEOUT_MS,
          query_timeout: PROBE_TIMEOUT_MS,
        });
        client.on('error', () => undefined);
        this.sinkDb = client;
        await client.connect();
      }
      const { rows } = await this.sinkDb.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, "partition", next_offset::text FROM ${REPLICA_SCHEMA}.sluice_sink_offsets
          WHERE group_id = $1 AND next_offset IS NOT NULL`,
        [SINK_GROUP],
      );
      for (const r of rows)
        this.committed['sink-postgres'].set(`${r.topic}:${r.partition}`, BigInt(r.next_offset));
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return true; // not created yet
      const client = this.sinkDb;
      this.sinkDb = undefined;
      void client?.end().catch(() => undefined);
      return false;
    }
  }

  /** A live probe answering an error for LIVENESS_RESTART_AFTER_MS: kill -9 and start again. */
  private superviseLiveness(app: SupervisedApp, live: number, at: number): void {
    if (live === 0 || live === 200) {
      delete this.failingLiveSince[app.name];
      return;
    }
    const since = (this.failingLiveSince[app.name] ??= at);
    if (at - since < LIVENESS_RESTART_AFTER_MS) return;
    delete this.failingLiveSince[app.name];
    this.livenessRestarts.push({ app: app.name, at });
    this.log(
      `${app.name}: /health/live failing for ${Math.round((at - since) / 1000)} s: killed and started again`,
    );
    void app.kill().then(() => app.start());
  }

  private reviveRegistry(): void {
    if (this.revivingRegistry) return;
    this.revivingRegistry = true;
    void this.stack
      .reviveRegistry()
      .then((revived) => {
        if (revived) {
          this.registryRevivals.push(Date.now());
          this.log('schema registry had exited: started again');
        }
      })
      .catch((error: unknown) =>
        this.log(`schema registry could not be started again: ${(error as Error).message}`),
      )
      .finally(() => (this.revivingRegistry = false));
  }
}

async function probeApp(
  app: SupervisedApp,
): Promise<{ status: Record<string, unknown> | undefined; live: number }> {
  if (app.pid === undefined) return { status: undefined, live: 0 };
  const [status, live] = await Promise.all([
    fetch(`${app.process.url}/status`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined))
      .catch(() => undefined),
    fetch(`${app.process.url}/health/live`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
      .then(async (r) => {
        await r.body?.cancel();
        return r.status;
      })
      .catch(() => 0),
  ]);
  return { status, live };
}

/** The fields of an app's /status that say what it is doing. */
function briefStatus(app: AppName, status: Record<string, unknown>): string {
  const keys =
    app === 'source-postgres'
      ? [
          'phase',
          'eventsPublished',
          'eventsPending',
          'confirmedLsn',
          'currentLsn',
          'lagBytes',
          'lastError',
          'retryAt',
        ]
      : ['phase', 'membership', 'paused', 'recordsProcessed', 'recordsDeadLettered', 'lastError'];
  const brief: Record<string, unknown> = {};
  for (const key of keys) if (status[key] !== undefined) brief[key] = status[key];
  if (Array.isArray(status.assignedPartitions)) brief.assignedPartitions = status.assignedPartitions.length;
  if (Array.isArray(status.partitions)) brief.partitions = status.partitions.length;
  for (const [key, value] of Object.entries(status))
    if (!(key in brief) && /stall|liveness|waiting/i.test(key)) brief[key] = value;
  return JSON.stringify(brief);
}

/** `X/Y` (hex halves) as one number; 0 when unknown. */
export function lsnValue(lsn: string | undefined): bigint {
  if (!lsn || !/^[0-9A-Fa-f]+\/[0-9A-Fa-f]+$/.test(lsn)) return 0n;
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
