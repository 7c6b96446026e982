import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { createKafkaClient, kafkaConfigSchema } from '@sluice/kafka';
import { AppProcess } from './app-process';
import { demoConsole } from './demo-console';
import { progressBar, renderFrame, webhookSourceLine } from './live-view';
import {
  checkReplica,
  checkWebhook,
  checkWebhookSource,
  type CheckResult,
  recordCoordinates,
} from './pipeline-checks';
import { type PipelineReading, PipelineMeter } from './pipeline-meter';
import { SampleDatabase } from './sample-database';
import { WebhookReceiver } from './webhook-receiver';
import { WebhookSender } from './webhook-sender';
import { Workload } from './workload';
import { DEMO_PLAN, DEMO_WEBHOOKS_PLAN, type DemoPlan, type WebhookSourcePlan } from './demo-plan';

export interface DemoOptions {
  readonly projectRoot: string;
  /** Seconds of workload; undefined runs until `signal` aborts (Ctrl-C). */
  readonly durationSeconds: number | undefined;
  /** Workload transactions per second. */
  readonly rate: number;
  /** Customers seeded before the source starts (three orders each, two items per order). */
  readonly customers: number;
  /** Leave the apps running after the summary. */
  readonly keep: boolean;
  /**
   * kill -9 source-postgres this many times during the workload (evenly spread; every 15 s without
   * a duration), starting it again at once each time: the checks must hold all the same. Each kill
   * lands while a backlog drains (the source paused for two seconds, then resumed), so events are
   * in flight and commits under way.
   */
  readonly killSource?: number;
  /** Jaeger and Prometheus run (the summary lists them; apps export traces). */
  readonly observability: boolean;
  /**
   * Also run source-webhook with a Stripe-style sender, an invoices pipeline and its replica table
   * (DEMO_WEBHOOKS_PLAN), and check each acknowledged event is there once.
   */
  readonly webhooks?: boolean;
  /** Redraw the live view in place (a terminal); otherwise print it every few seconds. */
  readonly interactive: boolean;
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Where the local stack answers. */
  readonly stack: {
    readonly kafkaBrokers: readonly string[];
    readonly postgres: { host: string; port: number; user: string; password: string };
  };
  readonly plan?: DemoPlan;
}

export interface DemoOutcome {
  readonly checks: readonly CheckResult[];
  readonly ok: boolean;
  readonly apps: readonly AppProcess[];
}

/**
 * `sluice demo`: the whole pipeline live — sample schema, the four apps as their own processes, a
 * workload with one poison record, a live view — then drain, check that the replica equals the
 * source and that the webhook receiver got each event once, and print a summary.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const plan = options.plan ?? (options.webhooks ? DEMO_WEBHOOKS_PLAN : DEMO_PLAN);
  const { out } = options;
  const logDir = join(options.projectRoot, '.sluice', 'demo', 'logs');
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: options.stack.kafkaBrokers,
      clientId: 'sluice-demo',
      logLevel: 'nothing',
    }),
  );
  const pg = options.stack.postgres;

  // The console's address first: it shows each app as it comes up.
  const consoleApp = demoConsole(plan, {
    projectRoot: options.projectRoot,
    logDir,
    kafkaBrokers: options.stack.kafkaBrokers,
    registryUrl: new URL(plan.observability['schema registry'] ?? 'http://127.0.0.1:8081').origin,
    observability: options.observability,
  });
  out(`console: ${consoleApp.url} — the pipeline live in a browser (log ${consoleApp.options.logFile})`);
  out('preparing: a fresh demo schema in the source database, previous demo topics and replica removed');
  await plan.reset(kafka, pg);
  const database = await SampleDatabase.connect({ ...pg, database: 'source' });
  const replica = new Client({ ...pg, database: 'sink', application_name: 'sluice-demo-check' });
  await replica.connect();
  const receiver = new WebhookReceiver(plan.webhookSecret);
  const apps = plan.apps.map(
    (app) =>
      new AppProcess({
        app: app.name,
        ...(app.label !== undefined ? { name: app.label } : {}),
        projectRoot: options.projectRoot,
        configFile: join(options.projectRoot, app.config),
        url: app.url,
        logFile: join(logDir, `${app.label ?? app.name}.log`),
        env: plan.env,
      }),
  );
  let keepApps = false;
  let sender: WebhookSender | undefined;
  try {
    consoleApp.start();
    await database.create(options.customers);
    const webhookUrl = await receiver.listen(plan.webhookPort);
    out(`webhook receiver listening on ${webhookUrl} (verifies X-Sluice-Signature, dedupes Idempotency-Key)`);
    const [source, ...consumers] = apps;
    const start = (app: AppProcess) => {
      app.start();
      out(`started ${app.name.padEnd(16)} pid ${app.pid}  ${app.url}  log ${app.options.logFile}`);
    };
    // The source first: its snapshot creates the table topics the consumers subscribe to.
    start(source);
    await source.ready(120_000);
    await waitForStreaming(source, 300_000, out);
    for (const [index, app] of consumers.entries()) {
      const needs = plan.apps[index + 1].needsTopics ?? [];
      if (needs.length > 0) await waitForTopics(kafka, needs, 120_000);
      start(app);
    }
    for (const app of consumers) await app.ready(120_000);
    out('every app is ready; the workload starts\n');

    const webhookSources = consumers.filter((_, i) => plan.apps[i + 1].webhookSource === true);
    const meter = new PipelineMeter(
      source,
      consumers.filter((a) => !webhookSources.includes(a)),
      apps.filter((a) => a.name.startsWith('sink-')),
      webhookSources,
    );
    const workload = new Workload(database.connection, {
      rate: options.rate,
      poisonAfter: Math.max(1, Math.floor(options.rate * 2)),
    });
    sender =
      plan.webhookSource &&
      new WebhookSender({
        url: plan.webhookSource.url,
        secret: plan.webhookSource.secret,
        // A few events per second at the demo's rate (5/s at the default 50).
        rate: Math.max(1, Math.round(options.rate / 10)),
        customers: options.customers,
      });
    workload.start();
    sender?.start();
    const started = Date.now();
    let lastFrame: string[] = [];
    let lastPrinted = 0;
    const show = (reading: PipelineReading) => {
      const frame = renderFrame(
        reading,
        workload.status,
        receiver.status,
        (Date.now() - started) / 1000,
        options.durationSeconds,
        sender?.status,
      );
      if (options.interactive) {
        if (lastFrame.length > 0) process.stdout.write(`\x1b[${lastFrame.length}A\x1b[0J`);
        for (const line of frame) out(line);
      } else if (Date.now() - lastPrinted >= 5000) {
        for (const line of frame) out(line);
        out('');
        lastPrinted = Date.now();
      }
      lastFrame = frame;
    };
    const deadline =
      options.durationSeconds === undefined ? Infinity : started + options.durationSeconds * 1000;
    const kills = options.killSource ?? 0;
    const killEvery =
      options.durationSeconds === undefined ? 15_000 : (options.durationSeconds * 1000) / (kills + 1);
    let killed = 0;
    while (Date.now() < deadline && !options.signal.aborted) {
      if (killed < kills && Date.now() >= started + (killed + 1) * killEvery) {
        const pid = source.pid;
        await source.post('/pause');
        await sleep(2000, options.signal);
        await source.post('/resume');
        await sleep(Math.random() * 40, options.signal);
        await source.kill();
        start(source);
        killed++;
        out(`kill -9 source-postgres (pid ${pid}), ${killed} of ${kills}: started again`);
      }
      const crashed = apps.find((a) => a.hasExited);
      if (crashed) throw new Error(`${crashed.name} exited during the run (log: ${crashed.options.logFile})`);
      if (workload.failure) throw new Error(`the workload failed: ${workload.failure.message}`);
      show(await meter.read());
      await sleep(1000, options.signal);
    }
    await workload.stop();
    out(options.signal.aborted ? '\nstopping: workload stopped (Ctrl-C)' : '\nworkload done');
    if (sender) {
      out('webhook sender: no new events; waiting for the retries in flight');
      await sender.stop();
    }

    out('draining: waiting until every stage caught up');
    const drained = await drain(meter, plan.drainTimeoutMs, show);
    const final = await meter.read();
    const behind = final.stages
      .filter((s) => (s.lag ?? 0) > 0 || !s.answering)
      .map((s) => (s.answering ? `${s.stage} lag ${s.lag}` : `${s.stage} not answering`));
    if (final.sourcePending > 0) behind.push(`source-postgres ${final.sourcePending} events unacknowledged`);

    const checks: CheckResult[] = [
      {
        name: 'pipeline drained',
        ok: drained,
        detail: drained
          ? 'no lag, nothing pending'
          : `still behind after the timeout: ${behind.join(', ') || 'still moving'}`,
      },
      ...(await checkReplica(database, replica, plan.replicaTable)),
      checkWebhook(await recordCoordinates(kafka, plan.webhookTopic), receiver.keys, receiver.bodies),
      await plan.checkPoison(kafka, workload.status.poisonOrderId),
      ...(sender && plan.webhookSource
        ? [await checkWebhookEvents(kafka, replica, sender, plan.webhookSource)]
        : []),
    ];
    printSummary(options, final, checks, receiver, apps, plan, sender);
    const ok = checks.every((c) => c.ok);
    keepApps = options.keep;
    return { checks, ok, apps };
  } finally {
    await sender?.stop(0);
    if (keepApps) out('\n--keep: the apps stay up (stop them with Ctrl-C or `kill`); the stack too');
    else await Promise.all([...apps, consoleApp].map((app) => app.stop()));
    await receiver.close();
    await replica.end().catch(() => undefined);
    await database.close().catch(() => undefined);
  }
}

/** The `--webhooks` check: the sender's acknowledged events against the endpoint topic and the table. */
async function checkWebhookEvents(
  kafka: Kafka,
  replica: Client,
  sender: WebhookSender,
  target: WebhookSourcePlan,
): Promise<CheckResult> {
  let tableIds: string[];
  try {
    tableIds = (await replica.query<{ id: string }>(`SELECT id FROM ${target.table}`)).rows.map((r) => r.id);
  } catch (error) {
    return {
      name: 'webhook source: each acknowledged event once',
      ok: false,
      detail: `${target.table}: ${(error as Error).message}`,
    };
  }
  const status = sender.status;
  return checkWebhookSource({
    acknowledged: sender.acknowledged,
    pending: status.pending,
    redeliveries: status.redeliveries,
    duplicatesAnswered: status.duplicatesAnswered,
    topic: target.topic,
    recordsInTopic: (await recordCoordinates(kafka, target.topic)).size,
    table: target.table,
    tableIds,
    keptType: target.keptType,
  });
}

/** Waits for the source's snapshot to finish, showing its progress. */
async function waitForStreaming(
  source: AppProcess,
  timeoutMs: number,
  out: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown = -1;
  for (;;) {
    const status = await source.get<{ phase: string; snapshot?: { rowsDone: number; rowsTotal: number } }>(
      '/status',
    );
    if (status?.phase === 'streaming') return;
    if (status?.phase === 'failed' || source.hasExited)
      throw new Error(`source-postgres failed (log: ${source.options.logFile})`);
    if (status?.snapshot && status.snapshot.rowsDone !== shown) {
      shown = status.snapshot.rowsDone;
      out(
        `  snapshot ${progressBar(shown, status.snapshot.rowsTotal)} ${shown}/${status.snapshot.rowsTotal} rows`,
      );
    }
    if (Date.now() > deadline) throw new Error('source-postgres did not finish its snapshot in time');
    await sleep(500);
  }
}

async function waitForTopics(kafka: Kafka, topics: readonly string[], timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const existing = new Set(await admin.listTopics());
      if (topics.every((t) => existing.has(t))) return;
      if (Date.now() > deadline) throw new Error(`topic(s) ${topics.join(', ')} did not appear in time`);
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}

async function drain(
  meter: PipelineMeter,
  timeoutMs: number,
  show: (reading: PipelineReading) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  while (Date.now() < deadline) {
    const reading = await meter.read();
    show(reading);
    const idle =
      reading.sourcePending === 0 &&
      reading.stages.every((s) => s.answering && (s.lag ?? 0) === 0 && s.rate === 0);
    if (idle) {
      quietSince ??= Date.now();
      // Still for a few seconds: batches in flight between the stages have landed.
      if (Date.now() - quietSince >= 4000) return true;
    } else quietSince = undefined;
    await sleep(1000);
  }
  return false;
}

function printSummary(
  options: DemoOptions,
  reading: PipelineReading,
  checks: readonly CheckResult[],
  receiver: WebhookReceiver,
  apps: readonly AppProcess[],
  plan: DemoPlan,
  sender?: WebhookSender,
): void {
  const { out } = options;
  const ms = (s: number | undefined) => (s === undefined ? 'n/a' : `${(s * 1000).toFixed(1)} ms`);
  out('\n── summary ─────────────────────────────────────────────');
  for (const s of reading.stages)
    out(
      `  ${s.stage.padEnd(16)} ${Math.round(s.total).toLocaleString('en-US').padStart(10)} events  dead-lettered ${s.deadLettered}`,
    );
  out(
    `  end-to-end latency (source commit → sink write): p50 ${ms(reading.latency.overall.p50)}, p99 ${ms(reading.latency.overall.p99)}`,
  );
  const r = receiver.status;
  out(
    `  webhook receiver: ${r.accepted} accepted, ${r.duplicates} redeliveries ignored, ${r.badSignatures} bad signatures`,
  );
  if (sender) out(webhookSourceLine(sender.status, reading));
  out('\n  checks:');
  for (const c of checks) out(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  out('\n  where to look:');
  for (const [name, url] of Object.entries(plan.observability))
    if (options.observability || name === 'schema registry') out(`    ${name.padEnd(16)} ${url}`);
  for (const app of apps)
    out(`    ${app.name.padEnd(16)} ${app.url}/metrics   ${app.url}/connectors   ${app.url}/docs`);
  out(`    logs             ${join(options.projectRoot, '.sluice', 'demo', 'logs')}`);
  out(`    the poison order npx sluice dlq show --group ${plan.deadLetterGroup}   (with --keep)`);
  const configs = plan.webhookSource
    ? 'examples/demo/*.yaml examples/demo/webhooks/*.yaml'
    : 'examples/demo/*.yaml';
  out(`    topics and lag   npx sluice topics list ${configs}   (with --keep)`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
