// sink-http throughput (issue #6): events per second delivered to a local HTTP server that answers
// 200 at once — one signed JSON request per event (tracing as configured by default: one trace in
// ten sampled; and tracing off), and in batches of 50 — beside a plain sequential
// fetch loop to the same server in the same run (what one naive caller gets). The sink runs as its
// own process (`node main.js`, 4 partitions, 16 keys in flight per partition); the server runs in
// this process and counts the events it received (batch members from X-Sluice-Idempotency-Keys).
// A run's rate is timed from the first event received to the last, so process start and the group
// join are not counted. Each run reads the loaded topic from the beginning with a fresh group.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { uniqueName, stopChild } from '@sluice/test-support';
import {
  appConfig,
  events,
  freePort,
  SinkHttpHarness,
} from '../test/integration/sink-http/sink-http-harness';
import { type BenchFigure } from './support/bench-figure';

export interface SinkHttpBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const PARTITIONS = 4;

/** A server answering 200 at once, counting events; `await until(n)` resolves at the n-th. */
class CountingServer {
  private server!: Server;
  private received = 0;
  private first = 0;
  private waiting: { total: number; resolve: (ms: number) => void } | undefined;
  url = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200).end();
        const keys = req.headers['x-sluice-idempotency-keys'];
        if (this.received === 0) this.first = performance.now();
        this.received += typeof keys === 'string' ? keys.split(',').length : 1;
        if (this.waiting && this.received >= this.waiting.total)
          this.waiting.resolve(performance.now() - this.first);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resets the count and resolves with the events per second once `total` arrived. */
  rateOf(total: number, timeoutMs: number): Promise<number> {
    this.received = 0;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.received} of ${total} events after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting = {
        total,
        resolve: (ms) => {
          clearTimeout(timer);
          this.waiting = undefined;
          resolve(((total - 1) / ms) * 1000);
        },
      };
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** The baseline: one request after the other with fetch, the same kind of JSON body. */
async function sequentialFetch(server: CountingServer, total: number): Promise<number> {
  const rate = server.rateOf(total, 600_000);
  for (let i = 0; i < total; i++) {
    const res = await fetch(`${server.url}/events/${i % 1000}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench:0:${i}` },
      body: JSON.stringify({ id: i % 1000, seq: i, note: `event ${i}` }),
    });
    await res.arrayBuffer();
  }
  return rate;
}

async function sinkRun(
  harness: SinkHttpHarness,
  server: CountingServer,
  topic: string,
  total: number,
  destination: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<number> {
  const group = uniqueName('bench.sink-http.group');
  harness.trackGroup(group);
  const rate = server.rateOf(total, 600_000);
  const child = harness.startApp({
    ...appConfig({
      group,
      topic,
      port: await freePort(),
      url: `${server.url}/events/{{ id }}`,
      destination,
      runtime: { concurrency: { partitions: PARTITIONS, keysPerPartition: 16 } },
    }),
    logging: { level: 'error' },
    ...extra,
  });
  try {
    return await rate;
  } finally {
    await stopChild(child);
  }
}

export async function benchSinkHttp(options: SinkHttpBenchOptions): Promise<BenchFigure[]> {
  const total = options.quick ? 5_000 : 50_000;
  const baselineTotal = Math.min(total, options.quick ? 2_000 : 10_000);
  const harness = new SinkHttpHarness();
  await harness.start();
  const server = new CountingServer();
  await server.listen();
  const single: number[] = [];
  const untraced: number[] = [];
  const batched: number[] = [];
  const sequential: number[] = [];
  try {
    const topic = await harness.topic('bench.sink-http.in', PARTITIONS);
    await harness.produce(topic, events(total, 1000));
    for (let run = 0; run < options.runs; run++) {
      sequential.push(await sequentialFetch(server, baselineTotal));
      single.push(await sinkRun(harness, server, topic, total));
      untraced.push(await sinkRun(harness, server, topic, total, {}, { tracing: { enabled: false } }));
      batched.push(await sinkRun(harness, server, topic, total, { batch: { maxRecords: 50, lingerMs: 5 } }));
      process.stderr.write(
        `bench: sink-http run ${run + 1}: sequential fetch ${Math.round(sequential.at(-1)!)}/s, ` +
          `sink-http ${Math.round(single.at(-1)!)}/s, untraced ${Math.round(untraced.at(-1)!)}/s, batched ${Math.round(batched.at(-1)!)}/s\n`,
      );
    }
  } finally {
    await server.close();
    await harness.close();
  }
  const baseline = { name: 'sequential fetch loop, one request at a time (same server)', runs: sequential };
  return [
    {
      name: `events delivered, one signed request each, Avro in (${total.toLocaleString('en-US')} events)`,
      unit: 'events/s',
      runs: single,
      baseline,
    },
    {
      name: 'events delivered, one signed request each, tracing off',
      unit: 'events/s',
      runs: untraced,
      baseline,
    },
    {
      name: 'events delivered, batches of 50 (JSON array per request)',
      unit: 'events/s',
      runs: batched,
      baseline,
    },
  ];
}
