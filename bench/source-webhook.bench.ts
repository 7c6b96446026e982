// source-webhook throughput and latency: signed 1 KB webhooks (Stripe scheme) over 64 keep-alive
// connections, answered 2xx only once Kafka acknowledged them (acks=all), beside the HTTP ceiling of
// this machine: a bare Fastify server answering 200 at once (bench/support/http-ceiling-server.ts),
// same route, same requests, no verification, no Kafka. Both servers run as their own processes
// (`node main.js` with SLUICE_CONFIG for source-webhook), so the load generator (in this process)
// does not share their event loop.
//
// Every request is a distinct Stripe event (its own `id`, the delivery id, so none is a dedup hit)
// signed as it is sent (Stripe-Signature, t=<now>), 1,024 bytes of JSON. Each run:
// 1. Max rate: autocannon, 64 connections, a fixed duration after a short warm-up, against the
//    ceiling and then against a fresh source-webhook (its own new topic): 2xx per second, p50/p99
//    of the 2xx responses (the response times autocannon measures, kept at µs resolution here),
//    and the non-2xx answers, errors and timeouts.
// 2. Latency at half that run's source-webhook max rate, paced: an open-loop generator (undici, 64
//    connections) sends each request at its scheduled time and measures from that time, so a
//    server falling behind shows in the figure (no coordinated omission). autocannon's overallRate
//    is not used for this: it lets every connection send its quota back to back at the start of
//    each second and then idle, i.e. a burst at full speed, not a rate. The ceiling is paced at
//    the same rate as a baseline.
// 3. Durable means written: once source-webhook has nothing in flight, the topic's records are
//    counted and compared with the 2xx answers it sent (its /status); the generator's own 2xx
//    count is printed beside them (a few more were answered to connections autocannon had closed
//    at the end of its run).
// Set SLUICE_BENCH_WEBHOOK_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to pass node
// options to the source-webhook processes, for profiling.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcessEnv } from '@sluice/config';
import autocannon from 'autocannon';
import { type Admin } from 'kafkajs';
import { Pool } from 'undici';
import { createKafkaClient, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { freePort, stackAddresses, uniqueName, stopChild } from '@sluice/test-support';
import { WebhookSignature } from '@sluice/webhook-signing';
import { type BenchFigure, percentile, summarise } from './support/bench-figure';

export interface SourceWebhookBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const CONNECTIONS = 64;
const BODY_BYTES = 1024;
const PATH = '/webhooks/stripe';
const SECRET = 'whsec_bench_0123456789abcdef0123456789';
const PARTITIONS = 3;
const WEBHOOK_MAIN = join(__dirname, '..', 'apps', 'source-webhook', 'src', 'main.js');
const CEILING_MAIN = join(__dirname, 'support', 'http-ceiling-server.js');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SignedRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Distinct Stripe events of exactly BODY_BYTES bytes, each with its own event id (`evt_<run tag>
 * <counter>`), signed when taken with the current time, as Stripe signs.
 */
class StripeEvents {
  private next = 0;
  private readonly signer = new WebhookSignature(SECRET);
  private readonly tag = randomBytes(4).toString('hex');
  private readonly padding: string;

  constructor() {
    const length = Buffer.byteLength(this.json(0, 1_000_000_000, ''));
    if (length > BODY_BYTES) throw new Error(`the event template is ${length} bytes already`);
    this.padding = 'x'.repeat(BODY_BYTES - length);
  }

  take(): SignedRequest {
    const seconds = Math.floor(Date.now() / 1000);
    const body = Buffer.from(this.json(this.next++, seconds, this.padding));
    return {
      headers: { 'content-type': 'application/json', 'stripe-signature': this.signer.header(body, seconds) },
      body,
    };
  }

  /** An event's JSON; fixed-width id and timestamp, so only the padding decides the length. */
  private json(n: number, created: number, padding: string): string {
    const id = `evt_${this.tag}${String(n).padStart(12, '0')}`;
    return JSON.stringify({
      id,
      object: 'event',
      api_version: '2024-06-20',
      created,
      type: 'payment_intent.succeeded',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: {
        object: {
          id: `pi_${this.tag}${String(n).padStart(12, '0')}`,
          object: 'payment_intent',
          amount: 2000,
          currency: 'usd',
          status: 'succeeded',
          customer: 'cus_bench0001',
          description: padding,
        },
      },
    });
  }
}

interface MaxRun {
  /** 2xx answers per second. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers, connection errors and timeouts. */
  readonly failed: number;
  /** 2xx answers seen, warm-up included. */
  readonly ok: number;
}

/** autocannon at full speed over CONNECTIONS connections for `seconds`, after `warmupSeconds`. */
async function maxRate(url: string, events: StripeEvents, seconds: number, warmupSeconds: number) {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    warmup: { duration: warmupSeconds },
    requests: [{ method: 'POST', path: PATH, setupRequest: (request) => ({ ...request, ...events.take() }) }],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await instance;
  return {
    rate: result['2xx'] / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed: result.non2xx + result.errors + result.timeouts,
    ok: result['2xx'] + (result.warmup?.['2xx'] ?? 0),
  } satisfies MaxRun;
}

/**
 * Open loop at `rate` requests/s for `seconds`: request i is due at start + i/rate and its latency
 * is measured from then, whether a connection was free or not.
 */
async function paced(url: string, events: StripeEvents, rate: number, seconds: number) {
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let failed = 0;
  const total = Math.max(1, Math.round(rate * seconds));
  const answers: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  let lateMs = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
      for (; sent < due; sent++) {
        const scheduled = start + (sent * 1000) / rate;
        lateMs = Math.max(lateMs, now - scheduled);
        const { headers, body } = events.take();
        answers.push(
          pool.request({ path: PATH, method: 'POST', headers, body }).then(
            async (response) => {
              await response.body.dump();
              if (response.statusCode >= 200 && response.statusCode < 300)
                latencies.push(performance.now() - scheduled);
              else failed++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const sending = (performance.now() - start) / 1000;
  await Promise.all(answers);
  await pool.close();
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
    ok: latencies.length,
    /** Requests sent per second (the generator keeping up: close to `rate`). */
    achieved: total / sending,
    /** How late the generator itself was at most in sending a request (ms). */
    lateMs,
  };
}

/** The ceiling server as its own process; resolves once it listens. */
async function startCeiling(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CEILING_MAIN, String(port), PATH], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the ceiling server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

interface WebhookStatus {
  phase: string;
  inFlight: number;
  endpoints: Array<{ requests: Record<string, number> }>;
  lastError?: string;
}

async function webhookStatus(url: string): Promise<WebhookStatus | undefined> {
  return fetch(`${url}/status`).then(
    (r) => (r.ok ? (r.json() as Promise<WebhookStatus>) : undefined),
    () => undefined,
  );
}

/** source-webhook as its own process (`node main.js`), one Stripe endpoint into `topic`; resolves once running. */
async function startWebhook(topic: string): Promise<{ url: string; child: ChildProcess }> {
  const { kafkaBrokers, registryUrl } = stackAddresses();
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-webhook-')), 'source-webhook.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      endpoints: [{ name: 'stripe', path: PATH, topic, verify: { scheme: 'stripe', secrets: [SECRET] } }],
      topics: { partitions: PARTITIONS },
      kafka: { brokers: kafkaBrokers, clientId: 'sluice-bench-source-webhook', logLevel: 'error' },
      registry: { url: registryUrl },
      http: { host: '127.0.0.1', port },
      // warn would log every 503 of an overload; errors still show.
      logging: { level: 'error' },
    }),
  );
  const nodeArgs = (process.env.SLUICE_BENCH_WEBHOOK_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, WEBHOOK_MAIN], {
    env: appProcessEnv({ ...process.env, SLUICE_CONFIG: file }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`source-webhook exited ${child.exitCode} while starting`);
    const status = await webhookStatus(url);
    if (status?.phase === 'running') return { url, child };
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`source-webhook not running after 60 s: ${JSON.stringify(status)}`);
    }
    await sleep(200);
  }
}

/** Records in `topic` (a fresh one: offsets from 0) against the 2xx answers source-webhook sent. */
async function durability(admin: Admin, url: string, topic: string) {
  const deadline = Date.now() + 60_000;
  let status = await webhookStatus(url);
  while (!status || status.inFlight > 0) {
    if (Date.now() > deadline) throw new Error(`source-webhook still has requests in flight after 60 s`);
    await sleep(100);
    status = await webhookStatus(url);
  }
  const requests = status.endpoints[0]!.requests;
  const offsets = await admin.fetchTopicOffsets(topic);
  return {
    records: offsets.reduce((sum, p) => sum + Number(p.high), 0),
    accepted: requests.accepted ?? 0,
    duplicates: requests.duplicate ?? 0,
    outcomes: requests,
  };
}

const fmtMs = (ms: number) => ms.toFixed(1);

export async function benchSourceWebhook(options: SourceWebhookBenchOptions): Promise<BenchFigure[]> {
  const seconds = options.quick ? 1 : 10;
  const warmupSeconds = options.quick ? 0.5 : 2;
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'sluice-bench',
      logLevel: 'nothing',
    }),
  );
  const admin = kafka.admin();
  await admin.connect();
  const events = new StripeEvents();
  const topics: string[] = [];
  const figures = {
    ceilingRate: [] as number[],
    ceilingP50: [] as number[],
    ceilingP99: [] as number[],
    ceilingFailed: [] as number[],
    rate: [] as number[],
    p50: [] as number[],
    p99: [] as number[],
    failed: [] as number[],
    halfRate: [] as number[],
    halfP50: [] as number[],
    halfP99: [] as number[],
    halfFailed: [] as number[],
    ceilingHalfP50: [] as number[],
    ceilingHalfP99: [] as number[],
    unwritten: [] as number[],
  };
  const ceiling = await startCeiling();
  try {
    for (let run = 0; run < options.runs; run++) {
      const c = await maxRate(ceiling.url, events, seconds, warmupSeconds);
      figures.ceilingRate.push(c.rate);
      figures.ceilingP50.push(c.p50);
      figures.ceilingP99.push(c.p99);
      figures.ceilingFailed.push(c.failed);

      const topic = uniqueName('bench.source-webhook');
      await new TopicProvisioner(admin).provision([
        { name: topic, partitions: PARTITIONS, replicationFactor: 1 },
      ]);
      topics.push(topic);
      const webhook = await startWebhook(topic);
      try {
        const w = await maxRate(webhook.url, events, seconds, warmupSeconds);
        figures.rate.push(w.rate);
        figures.p50.push(w.p50);
        figures.p99.push(w.p99);
        figures.failed.push(w.failed);

        const half = Math.max(1, Math.round(w.rate / 2));
        const h = await paced(webhook.url, events, half, seconds);
        const ch = await paced(ceiling.url, events, half, seconds);
        figures.halfRate.push(half);
        figures.halfP50.push(h.p50);
        figures.halfP99.push(h.p99);
        figures.halfFailed.push(h.failed);
        figures.ceilingHalfP50.push(ch.p50);
        figures.ceilingHalfP99.push(ch.p99);

        const d = await durability(admin, webhook.url, topic);
        const seen = w.ok + h.ok;
        figures.unwritten.push(d.records - d.accepted);
        process.stderr.write(
          `  run ${run + 1}: ceiling ${Math.round(c.rate)}/s p50 ${fmtMs(c.p50)} p99 ${fmtMs(c.p99)} ms (${c.failed} failed); ` +
            `source-webhook ${Math.round(w.rate)}/s p50 ${fmtMs(w.p50)} p99 ${fmtMs(w.p99)} ms (${w.failed} failed), ` +
            `${Math.round((100 * w.rate) / c.rate)}% of the ceiling\n` +
            `    paced at ${half}/s (sent ${Math.round(h.achieved)}/s, generator late ${fmtMs(h.lateMs)} ms at most): ` +
            `source-webhook p50 ${fmtMs(h.p50)} p99 ${fmtMs(h.p99)} ms (${h.failed} failed), ` +
            `ceiling p50 ${fmtMs(ch.p50)} p99 ${fmtMs(ch.p99)} ms (${ch.failed} failed)\n` +
            `    durable: ${d.records} records in ${topic}, ${d.accepted} 2xx answered accepted by source-webhook, ` +
            `${d.duplicates} duplicates, ${seen} 2xx seen by the generator (${d.accepted - seen} answered to connections closed at the end of a run); ` +
            `outcomes ${JSON.stringify(d.outcomes)}${d.records === d.accepted ? '' : '  <-- MISMATCH'}\n`,
        );
      } finally {
        await stopChild(webhook.child);
      }
    }
  } finally {
    await stopChild(ceiling.child);
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }

  const ceilingName = 'bare Fastify answering 200 at once (own process, same requests)';
  const halfRate = Math.round(summarise(figures.halfRate).median);
  return [
    {
      name: `signed 1 KB webhooks (stripe) answered 2xx after Kafka acks=all, ${CONNECTIONS} connections, ${seconds} s`,
      unit: 'webhooks/s',
      runs: figures.rate,
      baseline: { name: `${ceilingName}: requests/s`, runs: figures.ceilingRate },
      goal: '>= 5,000/s and >= 0.40x the ceiling',
    },
    {
      name: `same, latency p50 (2xx) at max rate`,
      unit: 'ms',
      runs: figures.p50,
      baseline: { name: `${ceilingName}: p50 at its max rate`, runs: figures.ceilingP50 },
    },
    {
      name: `same, latency p99 (2xx) at max rate`,
      unit: 'ms',
      runs: figures.p99,
      baseline: { name: `${ceilingName}: p99 at its max rate`, runs: figures.ceilingP99 },
    },
    { name: 'same, non-2xx answers + errors + timeouts at max rate', unit: 'requests', runs: figures.failed },
    {
      name: `${ceilingName}: non-2xx answers + errors + timeouts at max rate`,
      unit: 'requests',
      runs: figures.ceilingFailed,
    },
    {
      name: `latency p50 paced at half the run's max rate (open loop, ~${halfRate}/s)`,
      unit: 'ms',
      runs: figures.halfP50,
      baseline: { name: `${ceilingName}: p50 at the same rate`, runs: figures.ceilingHalfP50 },
    },
    {
      name: `latency p99 paced at half the run's max rate (open loop, ~${halfRate}/s)`,
      unit: 'ms',
      runs: figures.halfP99,
      baseline: { name: `${ceilingName}: p99 at the same rate`, runs: figures.ceilingHalfP99 },
      goal: '< 50 ms',
    },
    { name: 'same, non-2xx answers + errors (paced)', unit: 'requests', runs: figures.halfFailed },
    {
      name: 'records in the topic minus 2xx answers source-webhook sent (its /status), every request of the run',
      unit: 'records',
      runs: figures.unwritten,
      goal: '0',
    },
  ];
}
