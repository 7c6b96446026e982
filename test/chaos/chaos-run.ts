import { type Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { CheckResult } from '@sluice/demo';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { checkDeadLetters, checkExactlyOnce, replicaChecks } from './chaos-checks';
import { explainDifferences } from './chaos-diagnostics';
import { compareReplica, createSourceSchema, type TableComparison } from './chaos-database';
import { ChaosMonitor, type RecoveryWatch } from './chaos-monitor';
import { type ChaosOptions, FAULT_KINDS, type FaultKind } from './chaos-options';
import { type AppName, APP_NAMES, ChaosPipeline, OUTPUT_TOPICS, PARTITIONS } from './chaos-pipeline';
import { ChaosStack } from './chaos-stack';
import { ChaosWorkload, type WorkloadStatus } from './chaos-workload';
import { AFFECTED, type InjectedFault, injectFault } from './fault-injector';
import { planFaults } from './fault-plan';
import { type Stall } from './progress-track';
import { SeededRandom } from './seeded-random';

/** How long the pipeline must sit caught up with the replica still different before that is final. */
const SETTLED_MS = 30_000;

/** Everything a chaos run saw, for the report and the assertions. */
export interface ChaosOutcome {
  readonly options: ChaosOptions;
  readonly faults: readonly InjectedFault[];
  readonly recoveries: readonly RecoveryWatch[];
  readonly longestStall: Record<AppName, Stall | undefined>;
  /** Stalls of 5 s and more, per app. */
  readonly stalls: Record<AppName, readonly Stall[]>;
  readonly unplannedExits: Record<
    AppName,
    readonly { at: number; pid: number | undefined; logTail: string }[]
  >;
  readonly livenessRestarts: readonly { app: AppName; at: number }[];
  readonly registryRevivals: readonly number[];
  readonly workload: WorkloadStatus;
  readonly checks: readonly CheckResult[];
  /** For rows the replica got wrong: what the topics and the sink's bookkeeping say of their keys. */
  readonly explanations: readonly string[];
  readonly ok: boolean;
  /** Configurations and app logs (kept when the run failed). */
  readonly runDir: string;
  readonly timeline: { started: number; workloadStarted: number; workloadStopped: number; ended: number };
}

/**
 * One chaos run: its own stack, the pipeline as processes, a steady workload, the planned faults at
 * their moments (each undone as Kubernetes or an operator would), then the workload stops, the
 * pipeline drains and the checks run: replica equal to the source, exactly-once outputs exact, no
 * dead letters, every fault recovered from, no stall beyond the threshold. Everything it started is
 * stopped at the end, also on failure.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const { log } = options;
  const started = Date.now();
  const random = new SeededRandom(options.seed);
  const plan = planFaults(options, random);
  log(
    `seed ${options.seed} (repeat with --seed ${options.seed}): ${plan.length} faults over ${options.durationSeconds} s`,
  );
  log(`plan: ${summariseKinds(plan.map((f) => f.kind))}`);

  const stack = await ChaosStack.create(log);
  let pipeline: ChaosPipeline | undefined;
  let monitor: ChaosMonitor | undefined;
  let workload: ChaosWorkload | undefined;
  let kafka: Kafka | undefined;
  let ok = false;
  try {
    log(
      `stack: home ${stack.env.SLUICE_HOME}, Kafka ${stack.addresses.kafkaBrokers[0]}, Postgres :${stack.addresses.postgres.port}, registry ${stack.addresses.registryUrl}`,
    );
    await stack.up();
    kafka = createKafkaClient(
      kafkaConfigSchema.parse({
        brokers: stack.addresses.kafkaBrokers,
        clientId: 'sluice-chaos',
        logLevel: 'nothing',
      }),
    );
    await createSourceSchema(stack.addresses.postgres, options.customers);
    pipeline = await ChaosPipeline.create(stack.runDir, stack.addresses);
    await startPipeline(pipeline, kafka, log, options.signal);

    workload = new ChaosWorkload(
      stack.addresses.postgres,
      options.rate,
      new SeededRandom(options.seed ^ 0x5eed),
    );
    monitor = new ChaosMonitor(pipeline, stack, stack.addresses, workload, log);
    monitor.start();
    workload.start();
    const workloadStarted = Date.now();
    log(`workload: ${options.rate} transactions/s; faults start in ${options.calmSeconds} s`);

    const faults: InjectedFault[] = [];
    const progress = setInterval(() => log(progressLine(workloadStarted, workload!, monitor!)), 10_000);
    try {
      for (const fault of plan) {
        await pause(workloadStarted + fault.atMs - Date.now(), options.signal);
        const m = monitor;
        const done = await injectFault(fault, stack, pipeline, (at) =>
          m.watchRecovery(fault.index, AFFECTED[fault.kind], at),
        );
        if (done.restoredAt !== undefined) m.faultRestored(fault.index, done.restoredAt);
        faults.push(done);
        log(
          `fault #${fault.index + 1} ${fault.kind} at ${seconds((done.injectedAt ?? Date.now()) - workloadStarted)} s: ${
            done.injected ? done.detail : `NOT INJECTED: ${done.detail}`
          }`,
        );
      }
      const end = Math.max(
        workloadStarted + options.durationSeconds * 1000,
        Date.now() + options.calmSeconds * 1000,
      );
      await pause(end - Date.now(), options.signal);
    } finally {
      clearInterval(progress);
    }
    await workload.stop();
    const workloadStopped = Date.now();
    log(
      `workload stopped after ${seconds(workloadStopped - workloadStarted)} s: ${JSON.stringify(workload.status)}; draining`,
    );

    const drain = await drainPipeline(stack, monitor, options.drainTimeoutMs, log, options.signal);
    await monitor.stop();
    const checks: CheckResult[] = [drain.check, ...replicaChecks(drain.comparison)];
    checks.push(await checkExactlyOnce(kafka));
    checks.push(await checkDeadLetters(kafka));
    checks.push(checkInjected(faults));
    checks.push(checkRecovered(faults, monitor.recoveries()));
    for (const app of APP_NAMES)
      checks.push(checkStall(app, monitor.longestStall(app), options.stallThresholdMs));
    ok = checks.every((c) => c.ok);
    const differences = drain.comparison.flatMap((c) => c.differences);
    const explanations =
      differences.length === 0
        ? []
        : await withClients(stack, (_source, sink) =>
            explainDifferences(kafka!, stack.addresses.registryUrl, sink, differences.slice(0, 3)),
          ).catch((error: unknown) => [`could not explain the differences: ${(error as Error).message}`]);
    const apps = pipeline.apps;
    return {
      options,
      faults,
      recoveries: monitor.recoveries(),
      longestStall: perApp((app) => monitor!.longestStall(app)),
      stalls: perApp((app) => monitor!.stalls(app)),
      unplannedExits: perApp((app) => apps[app].unplannedExits),
      livenessRestarts: monitor.livenessRestarts,
      registryRevivals: monitor.registryRevivals,
      workload: workload.status,
      checks,
      explanations,
      ok,
      runDir: stack.runDir,
      timeline: { started, workloadStarted, workloadStopped, ended: Date.now() },
    };
  } finally {
    await workload?.stop().catch(() => undefined);
    await monitor?.stop().catch(() => undefined);
    await pipeline?.stop().catch(() => undefined);
    await stack.down({ keepLogs: !ok });
    if (!ok) log(`configurations and app logs kept in ${stack.runDir}`);
  }
}

/** The source first (its snapshot makes the topics), then the transformer and the sink. */
async function startPipeline(
  pipeline: ChaosPipeline,
  kafka: Kafka,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { 'source-postgres': source, transformer, 'sink-postgres': sink } = pipeline.apps;
  source.start();
  await source.process.ready(120_000);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const status = await source.process.get<{ phase: string }>('/status');
    if (status?.phase === 'streaming') break;
    if (Date.now() > deadline || source.process.hasExited)
      throw new Error(
        `source-postgres did not finish its snapshot (phase ${status?.phase}; log ${source.logFile})`,
      );
    await pause(500, signal);
  }
  // The routed topic appears with the first cancelled order; the sink needs it to subscribe.
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.values(OUTPUT_TOPICS).map((topic) => ({
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  transformer.start();
  sink.start();
  await Promise.all([transformer.process.ready(120_000), sink.process.ready(120_000)]);
  log(
    `pipeline up: ${pipeline.list.map((a) => `${a.name} pid ${a.pid} ${a.process.url}`).join(', ')}; logs in ${pipeline.logDir}`,
  );
}

/** Waits until the replica equals the source and no consumer lags; says who is behind otherwise. */
async function drainPipeline(
  stack: ChaosStack,
  monitor: ChaosMonitor,
  timeoutMs: number,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<{ check: CheckResult; comparison: TableComparison[] }> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let comparison: TableComparison[] = [];
  let lastLog = 0;
  let caughtUpSince: number | undefined;
  for (;;) {
    const view = monitor.view();
    try {
      comparison = await withClients(stack, (source, sink) => compareReplica(source, sink));
    } catch {
      // Postgres just restarted: next round
    }
    const equal = comparison.length > 0 && comparison.every((c) => c.equal);
    const caughtUp =
      view.lag.transformer === 0 &&
      view.lag['sink-postgres'] === 0 &&
      (view.sourcePending ?? 0) === 0 &&
      view.waiting['source-postgres'] === undefined;
    if (equal && caughtUp) {
      log(`drained in ${seconds(Date.now() - started)} s`);
      return {
        check: { name: 'pipeline drained', ok: true, detail: `in ${seconds(Date.now() - started)} s` },
        comparison,
      };
    }
    caughtUpSince = caughtUp ? (caughtUpSince ?? Date.now()) : undefined;
    if (caughtUpSince !== undefined && Date.now() - caughtUpSince >= SETTLED_MS) {
      // Nothing left to consume and nothing moving: the replica's difference is final.
      log(
        `caught up in ${seconds(caughtUpSince - started)} s; the replica still differs ${seconds(SETTLED_MS)} s later`,
      );
      return {
        check: {
          name: 'pipeline drained',
          ok: true,
          detail: `in ${seconds(caughtUpSince - started)} s (no lag, nothing pending; the replica differs, see below)`,
        },
        comparison,
      };
    }
    if (Date.now() > deadline) {
      const behind: string[] = [];
      const stalled = monitor.stalledNow();
      if ((view.sourcePending ?? 0) > 0) behind.push(`source-postgres ${view.sourcePending} events pending`);
      for (const app of ['transformer', 'sink-postgres'] as const)
        if ((view.lag[app] ?? 1) > 0) behind.push(`${app} lag ${view.lag[app] ?? 'unknown'}`);
      for (const c of comparison)
        if (!c.equal)
          behind.push(`replica ${c.table}: ${c.missing} rows missing or different, ${c.extra} extra`);
      if (stalled && stalled.ms > 0) behind.push(`${stalled.app} stalled for ${seconds(stalled.ms)} s`);
      for (const app of APP_NAMES)
        behind.push(`${app} /status ${JSON.stringify(view.statuses[app] ?? 'none')}`.slice(0, 400));
      return {
        check: {
          name: 'pipeline drained',
          ok: false,
          detail: `not within ${seconds(timeoutMs)} s: ${behind.join('; ')}`,
        },
        comparison,
      };
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(
        `draining: lag transformer ${view.lag.transformer}, sink ${view.lag['sink-postgres']}, source pending ${view.sourcePending}; ` +
          comparison
            .map((c) => `${c.table} ${c.equal ? 'equal' : `${c.missing + c.extra} differ`}`)
            .join(', '),
      );
    }
    await pause(2000, signal);
  }
}

async function withClients<T>(
  stack: ChaosStack,
  work: (source: Client, sink: Client) => Promise<T>,
): Promise<T> {
  const config = {
    ...stack.addresses.postgres,
    connectionTimeoutMillis: 3000,
    application_name: 'sluice-chaos-check',
  };
  const source = new Client({ ...config, database: 'source' });
  const sink = new Client({ ...config, database: 'sink' });
  source.on('error', () => undefined);
  sink.on('error', () => undefined);
  try {
    await source.connect();
    await sink.connect();
    return await work(source, sink);
  } finally {
    await source.end().catch(() => undefined);
    await sink.end().catch(() => undefined);
  }
}

function checkInjected(faults: readonly InjectedFault[]): CheckResult {
  const missed = faults.filter((f) => !f.injected);
  return {
    name: 'every planned fault injected',
    ok: missed.length === 0,
    detail:
      missed.length === 0
        ? `${faults.length} faults: ${summariseKinds(faults.map((f) => f.kind))}`
        : `not injected: ${missed.map((f) => `#${f.index + 1} ${f.kind} (${f.detail})`).join('; ')}`,
  };
}

function checkRecovered(faults: readonly InjectedFault[], watches: readonly RecoveryWatch[]): CheckResult {
  const never = watches.filter((w) => w.recoveredAt === undefined);
  return {
    name: 'every app recovered from every fault',
    ok: never.length === 0,
    detail:
      never.length === 0
        ? `${watches.length} recoveries measured`
        : `no progress seen after: ${never
            .map(
              (w) => `#${w.faultIndex + 1} ${faults.find((f) => f.index === w.faultIndex)?.kind}: ${w.app}`,
            )
            .join(', ')}`,
  };
}

function checkStall(app: AppName, stall: Stall | undefined, thresholdMs: number): CheckResult {
  const ms = stall?.durationMs ?? 0;
  return {
    name: `${app}: no stall of ${seconds(thresholdMs)} s or more`,
    ok: ms < thresholdMs,
    detail:
      stall === undefined
        ? 'never stalled'
        : `longest ${seconds(ms)} s${stall.ongoing ? ' (still stalled at the end)' : ''}: waited on ${stall.waitingOn}; ` +
          `/health/live ${stall.liveAnswers}; phase ${stall.phases}; pid ${stall.pids}; last status ${stall.lastStatus ?? 'none'}`,
  };
}

function progressLine(workloadStarted: number, workload: ChaosWorkload, monitor: ChaosMonitor): string {
  const view = monitor.view();
  const stalled = monitor.stalledNow();
  return (
    `t=${seconds(Date.now() - workloadStarted)} s: ${workload.status.committed} transactions (${workload.status.failed} failed); ` +
    `source pending ${view.sourcePending ?? '?'}, lag transformer ${view.lag.transformer ?? '?'}, sink ${view.lag['sink-postgres'] ?? '?'}` +
    (stalled && stalled.ms >= 5000 ? `; ${stalled.app} not moving for ${seconds(stalled.ms)} s` : '')
  );
}

export function summariseKinds(kinds: readonly FaultKind[]): string {
  return FAULT_KINDS.map((k) => `${k} x${kinds.filter((x) => x === k).length}`).join(', ');
}

function perApp<T>(f: (app: AppName) => T): Record<AppName, T> {
  return Object.fromEntries(APP_NAMES.map((app) => [app, f(app)])) as Record<AppName, T>;
}

/** Waits `ms`, or rejects as soon as the run is aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new Error('chaos run aborted'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('chaos run aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
