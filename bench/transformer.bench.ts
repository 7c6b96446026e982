// Transformer throughput (issue #5): records per second through an unwrap + mask + route pipeline,
// Avro in and Avro out, with exactly-once on — beside a raw kafkajs passthrough (consume, produce
// the same bytes; no decoding, no transactions) on the same broker in the same run — plus the
// at-least-once rate and the transformer's memory at steady state.
//
// The input topic is loaded once with Debezium-shaped change events (~500 bytes each); each run
// reads it from the beginning with a fresh group into fresh output topics. A variant's rate is
// timed from its first progress to its last record (so process start and the group join are not
// counted): the passthrough's progress is its output's log end, the transformer's the group's
// committed input offsets (under exactly-once the outputs of a batch are visible exactly when its
// offsets commit). The transformer runs as its own process (`node main.js`), as deployed.
import { type ChildProcess } from 'node:child_process';
import { type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, TopicProvisioner } from '@sluice/kafka';
import { deleteTopicsIfPresent, uniqueName, stopChild } from '@sluice/test-support';
import {
  appConfig,
  ChangeEventWriter,
  freePort,
  kafkaConfig,
  orderRow,
  startTransformer,
  untilLeaders,
  untilReady,
  writePipeline,
} from '../test/integration/transformer/transformer-harness';
import { PendingStops } from './support/pending-stops';
import { type BenchFigure } from './support/bench-figure';
import { cpuSeconds } from './support/process-cpu';

export interface TransformerBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const PARTITIONS = 4;
// Progress is polled this often: a rate's error is about one poll over the run's length.
const POLL_MS = 25;

export interface Progress {
  /** Records done so far (monotonic). */
  (): Promise<number>;
}

/** Polls `progress` until `total`; the rate from the first progress seen to the end. */
export async function timeRate(progress: Progress, total: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let first: { at: number; done: number } | undefined;
  for (;;) {
    const done = await progress();
    const at = performance.now();
    if (!first && done > 0) first = { at, done };
    if (done >= total) {
      if (!first || at === first.at) throw new Error('finished within one poll: load more records');
      return (total - first.done) / ((at - first.at) / 1000);
    }
    if (Date.now() > deadline) throw new Error(`only ${done} of ${total} records after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function logEnd(admin: Admin, topics: readonly string[]): Promise<number> {
  let sum = 0;
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    for (const p of offsets) sum += Number(p.high);
  }
  return sum;
}

export async function committed(admin: Admin, group: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return entry!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

async function passthrough(kafka: Kafka, admin: Admin, input: string, total: number): Promise<number> {
  const output = uniqueName('bench.tr.pass.out');
  await new TopicProvisioner(admin).provision([
    { name: output, partitions: PARTITIONS, replicationFactor: 1 },
  ]);
  await untilLeaders(admin, output);
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: uniqueName('bench.tr.pass.group') });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  try {
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        await producer.send({
          topic: output,
          messages: batch.messages.map((m) => ({ key: m.key, value: m.value, partition: batch.partition })),
        });
      },
    });
    return await timeRate(() => logEnd(admin, [output]), total, 600_000);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [output] }).catch(() => undefined);
  }
}

export interface TransformerRun {
  readonly rate: number;
  /**
   * CPU time (user + system) the transformer process spent from ready to the last record, and for
   * `settleMs` after it.
   */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

/**
 * One timed run of the transformer app over `input`; `extra` adds configuration sections. Its
 * process is stopped by `stops`: the caller awaits them before anything else it measures. Its CPU
 * is read `settleMs` after the last record was committed: work the process defers past the records
 * (a tracing export) counts too.
 */
export async function transformer(
  admin: Admin,
  stops: PendingStops,
  input: string,
  total: number,
  mode: 'exactly-once' | 'at-least-once',
  extra: Record<string, unknown> = {},
  settleMs = 0,
): Promise<TransformerRun> {
  const t = {
    eu: uniqueName('bench.tr.eu'),
    na: uniqueName('bench.tr.na'),
    other: uniqueName('bench.tr.other'),
  };
  const group = uniqueName('bench.tr.group');
  const name = uniqueName('bench-tr')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  const pipeline = writePipeline({ name, input, group, mode, ...t });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = startTransformer(
    appConfig(pipeline, {
      http: { host: '127.0.0.1', port },
      logging: { level: 'error' },
      runtime: { concurrency: { partitions: PARTITIONS, keysPerPartition: 8 } },
      ...extra,
    }),
  );
  const memory: { rssBytes: number; heapUsedBytes: number }[] = [];
  try {
    await untilReady(`${url}/health/ready`);
    const cpuAtReady = cpuSeconds(child.pid!);
    await stops.settled();
    const rate = await timeRate(
      async () => {
        const done = await committed(admin, group, input);
        // Steady state: past the first fifth of the input.
        if (done > total / 5 && done < total) {
          const status = (await (await fetch(`${url}/status`)).json()) as {
            memory: { rssBytes: number; heapUsedBytes: number };
          };
          memory.push(status.memory);
        }
        return done;
      },
      total,
      600_000,
    );
    const max = (k: 'rssBytes' | 'heapUsedBytes') => Math.max(0, ...memory.map((m) => m[k]));
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    const cpu = cpuSeconds(child.pid!) - cpuAtReady;
    return { rate, rssBytes: max('rssBytes'), heapUsedBytes: max('heapUsedBytes'), cpuSeconds: cpu };
  } finally {
    stops.add(async () => {
      await stopChild(child);
      await deleteTopicsIfPresent(admin, [t.eu, t.na, t.other, `${group}.dlq`, `${group}.dlq.parked`]);
    });
  }
}

/** A ~500-byte change event: the order row with a 300-character note (the v2 schema). */
export async function preload(
  kafka: Kafka,
  admin: Admin,
  total: number,
  headers?: (i: number) => Record<string, string>,
): Promise<string> {
  const input = uniqueName('bench.tr.in');
  await new TopicProvisioner(admin).provision([
    { name: input, partitions: PARTITIONS, replicationFactor: 1 },
  ]);
  await untilLeaders(admin, input);
  const writer = new ChangeEventWriter(kafka, input, 'bench.public.orders');
  const note = 'x'.repeat(300);
  const chunk = 10_000;
  for (let from = 0; from < total; from += chunk) {
    const records = [];
    for (let i = from; i < Math.min(total, from + chunk); i++)
      records.push({
        ...(await writer.encode({ ...orderRow(i), note: `${i} ${note}` }, true)),
        ...(headers ? { headers: headers(i) } : {}),
      });
    await writer.write(records, 2_000);
  }
  return input;
}

export async function benchTransformer(options: TransformerBenchOptions): Promise<BenchFigure[]> {
  // Under exactly-once the committed offsets move a fetch round at a time (~8,000 records here): a
  // quick run needs several rounds after its first for the rate to mean anything.
  const total = options.quick ? 60_000 : 200_000;
  const kafka = createKafkaClient({ ...kafkaConfig, clientId: 'sluice-bench-transformer' });
  const admin = kafka.admin();
  await admin.connect();
  const input = await preload(kafka, admin, total);
  const pass: number[] = [];
  const eos: number[] = [];
  const alos: number[] = [];
  const rss: number[] = [];
  const heap: number[] = [];
  const stops = new PendingStops();
  try {
    for (let run = 0; run < options.runs; run++) {
      await stops.settled();
      pass.push(await passthrough(kafka, admin, input, total));
      const exactly = await transformer(admin, stops, input, total, 'exactly-once');
      eos.push(exactly.rate);
      rss.push(exactly.rssBytes / 2 ** 20);
      heap.push(exactly.heapUsedBytes / 2 ** 20);
      alos.push((await transformer(admin, stops, input, total, 'at-least-once')).rate);
      process.stderr.write(
        `bench: transformer run ${run + 1}: passthrough ${Math.round(pass.at(-1)!)}/s, exactly-once ${Math.round(
          eos.at(-1)!,
        )}/s, at-least-once ${Math.round(alos.at(-1)!)}/s, rss ${Math.round(rss.at(-1)!)} MiB\n`,
      );
    }
    await stops.settled();
  } finally {
    await stops.settled().catch(() => undefined);
    await admin.deleteTopics({ topics: [input] }).catch(() => undefined);
    await admin.disconnect();
  }
  const baseline = { name: 'kafkajs passthrough (same bytes, no serde, no transactions)', runs: pass };
  return [
    {
      name: `unwrap+mask+route, Avro, exactly-once (${total.toLocaleString('en-US')} records)`,
      unit: 'records/s',
      runs: eos,
      baseline,
      goal: '>= 75% of the passthrough',
    },
    {
      name: `unwrap+mask+route, Avro, at-least-once (${total.toLocaleString('en-US')} records)`,
      unit: 'records/s',
      runs: alos,
      baseline,
    },
    { name: 'transformer RSS at steady state (exactly-once, max)', unit: 'MiB', runs: rss },
    { name: 'transformer V8 heap used at steady state (exactly-once, max)', unit: 'MiB', runs: heap },
  ];
}
