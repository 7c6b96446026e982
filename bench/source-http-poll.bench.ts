// source-http-poll throughput (issue #20): items/s from a local API serving 100,000 items in pages
// of 500 with no latency, beside a bare fetch loop that reads the same pages without Kafka (the
// ceiling). Goal >= 0.5x the ceiling.
//
// The API is PollTestApi (test/integration/source-http-poll/poll-test-api.ts), no faults, no rate
// limit, next-link pagination (`{ data, next }`), in its own process (bench/support/
// poll-api-server.ts), so neither the source nor the ceiling loop shares its event loop. Its items'
// updated_at (second precision) advances one second every 10 items (10,000 distinct seconds, the
// newest a minute ago), not one timestamp for all: a source remembers in its cursor the versions
// of the items sharing its high-water mark, so with real data that set stays small; 10 per second
// keeps ties (the tie-breaker is exercised) and the set small. Each run:
// 1. Ceiling: in this process, undici `request` over one keep-alive connection (the source's
//    client, one request at a time as a stream pages), follows `next` from the first page to the
//    last, parsing each body as JSON: 200 pages, 100,000 items; timed from the first request to
//    the last page parsed. One unmeasured walk before the first run warms the API process up.
// 2. source-http-poll as its own process (`node main.js`, SLUICE_CONFIG), a unique source name,
//    one stream (`since: {{ cursor.since }}`, items `data`, key `id`, version `version`, cursor
//    updated_at with tie-breaker id, next-link `next`, intervalMs 100) into a fresh topic (3
//    partitions, created by the app) with its own offsets topic. Timed from the first request the
//    API receives until GET /status shows 100,000 items published and the stream waiting for its
//    next poll: the API process reports the times of the first and the 200th request, and /status
//    is asked every 10 ms from the 200th on (before, once a second: it costs the source a count of
//    the keys its cursor remembers). Startup (spawn to first request) is reported apart. Then the
//    topic is read once read_committed: 100,000 records and 100,000 distinct keys expected. The
//    process's peak RSS is VmHWM from /proc/<pid>/status.
// 3. The Kafka client's ceiling: the records the source wrote (keys, Avro values, three headers),
//    sent again in this process by a bare transactional kafkajs producer (`createProducer`, as the
//    source's) in transactions of 5,000 (the source's most per transaction) into a fresh topic of
//    3 partitions: no HTTP, no JSON, no Avro. Timed from the first send to the last commit. It
//    bounds what any source on kafkajs can reach here.
// Every topic a run creates (stream, offsets and resent topics) is deleted at the end.
// Set SLUICE_BENCH_HTTP_POLL_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to pass node
// options to the source-http-poll processes, for profiling.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { type Kafka, type Message } from 'kafkajs';
import { appProcessEnv } from '@sluice/config';
import { createKafkaClient, createProducer, kafkaConfigSchema } from '@sluice/kafka';
import {
  deleteTopicsIfPresent,
  freePort,
  readCommitted,
  stackAddresses,
  uniqueName,
  stopChild,
} from '@sluice/test-support';
import { type BenchFigure } from './support/bench-figure';
import { peakRssBytes } from './support/process-memory';

export interface SourceHttpPollBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const ITEMS = 100_000;
const PAGE_SIZE = 500;
const PAGES = ITEMS / PAGE_SIZE;
const ITEMS_PER_SECOND = 10;
const PARTITIONS = 3;
const PATH = '/next-link/items';
const POLL_MAIN = join(__dirname, '..', 'apps', 'source-http-poll', 'src', 'main.js');
const API_MAIN = join(__dirname, 'support', 'poll-api-server.js');
const RUN_TIMEOUT_MS = 120_000;
/** Records per transaction of the producer ceiling: the source's RECORDS_PER_TRANSACTION. */
const RECORDS_PER_TRANSACTION = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const wallNow = () => performance.timeOrigin + performance.now();

type ApiMessage =
  { type: 'listening'; url: string } | { type: 'armed' } | { type: 'first' | 'counted'; at: number };

/** The API process: its URL, and `arm(n)`: the times of the next request it receives and of the n-th. */
class ApiProcess {
  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
  ) {}

  static async start(): Promise<ApiProcess> {
    const child = fork(API_MAIN, [String(ITEMS), String(PAGE_SIZE), String(ITEMS_PER_SECOND)], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.on('message', (m: ApiMessage) => {
        if (m.type === 'listening') resolve(m.url);
      });
      child.once('exit', (code) => reject(new Error(`the poll API process exited ${code}`)));
    });
    return new ApiProcess(url, child);
  }

  /** Resolves once armed, with the promises of the wall-clock times of the next and `count`-th requests. */
  async arm(count: number): Promise<{ first: Promise<number>; counted: Promise<number> }> {
    let armed!: () => void;
    let first!: (at: number) => void;
    let counted!: (at: number) => void;
    const ready = new Promise<void>((resolve) => (armed = resolve));
    const times = {
      first: new Promise<number>((resolve) => (first = resolve)),
      counted: new Promise<number>((resolve) => (counted = resolve)),
    };
    const onMessage = (m: ApiMessage) => {
      if (m.type === 'armed') armed();
      if (m.type === 'first') first(m.at);
      if (m.type === 'counted') {
        this.child.off('message', onMessage);
        counted(m.at);
      }
    };
    this.child.on('message', onMessage);
    this.child.send({ type: 'arm', count });
    await ready;
    return times;
  }
}

/** The ceiling: every page from the first, following `next`, parsed; items and seconds. */
async function fetchLoop(base: string, dispatcher: Agent): Promise<{ items: number; seconds: number }> {
  let url: string | null = `${base}${PATH}`;
  let items = 0;
  const start = performance.now();
  while (url) {
    const response = await request(url, { dispatcher });
    if (response.statusCode !== 200) throw new Error(`ceiling: ${url} answered ${response.statusCode}`);
    const body = (await response.body.json()) as { data: unknown[]; next: string | null };
    items += body.data.length;
    url = body.next;
  }
  return { items, seconds: (performance.now() - start) / 1000 };
}

/** Peak resident set of a live process (VmHWM), in MiB; NaN where /proc is not there. */
function peakRssMib(pid: number | undefined): number {
  return (peakRssBytes(pid) ?? NaN) / 2 ** 20;
}

interface PollStatus {
  phase: string;
  lastError?: string;
  streams: Array<{ phase: string; items: { published: number }; pages: number; lastError?: string }>;
}

async function pollStatus(url: string): Promise<PollStatus | undefined> {
  return fetch(`${url}/status`).then(
    (r) => (r.ok ? (r.json() as Promise<PollStatus>) : undefined),
    () => undefined,
  );
}

interface SourceRun {
  /** Items published per second, first request to all published. */
  readonly rate: number;
  /** Spawn to the API's first request (s). */
  readonly startup: number;
  /** Spawn to all published (s). */
  readonly total: number;
  readonly rssMib: number;
  readonly pages: number;
}

/** One source-http-poll process from spawn until it published every item into `topic`. */
async function runSource(api: ApiProcess, topic: string, offsetsTopic: string): Promise<SourceRun> {
  const { kafkaBrokers, registryUrl } = stackAddresses();
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-http-poll-')), 'source-http-poll.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      name: `bench-${randomBytes(4).toString('hex')}`,
      streams: [
        {
          name: 'items',
          topic,
          request: { url: `${api.url}${PATH}`, query: { since: '{{ cursor.since }}' } },
          items: 'data',
          key: 'id',
          version: 'version',
          cursor: { field: 'updated_at', tieBreaker: 'id' },
          pagination: { type: 'next-link', path: 'next' },
          schedule: { intervalMs: 100 },
        },
      ],
      offsets: { topic: offsetsTopic },
      topics: { partitions: PARTITIONS },
      kafka: { brokers: kafkaBrokers, clientId: 'sluice-bench-source-http-poll', logLevel: 'error' },
      registry: { url: registryUrl },
      http: { host: '127.0.0.1', port },
      logging: { level: 'error' },
      tracing: { enabled: false },
    }),
  );
  const { first, counted } = await api.arm(PAGES);
  let lastPageAsked = false;
  void counted.then(() => (lastPageAsked = true));
  const nodeArgs = (process.env.SLUICE_BENCH_HTTP_POLL_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const spawnedAt = wallNow();
  const child = spawn(process.execPath, [...nodeArgs, POLL_MAIN], {
    env: appProcessEnv({ ...process.env, SLUICE_CONFIG: file }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`source-http-poll exited ${child.exitCode}`);
      // /status is not free for the source (it counts the keys its cursor remembers): asked every
      // second until the API has been asked for its last page, then every 10 ms.
      if (!lastPageAsked) {
        await Promise.race([counted, sleep(1000)]);
        if (!lastPageAsked) {
          const status = await pollStatus(url);
          if (status?.phase === 'failed' || Date.now() > deadline)
            throw new Error(`source-http-poll did not publish ${ITEMS} items: ${JSON.stringify(status)}`);
          continue;
        }
      }
      const status = await pollStatus(url);
      const stream = status?.streams[0];
      if (stream && stream.items.published >= ITEMS && stream.phase === 'waiting') {
        const doneAt = wallNow();
        const firstAt = await first;
        return {
          rate: stream.items.published / ((doneAt - firstAt) / 1000),
          startup: (firstAt - spawnedAt) / 1000,
          total: (doneAt - spawnedAt) / 1000,
          rssMib: peakRssMib(child.pid),
          pages: stream.pages,
        };
      }
      if (status?.phase === 'failed' || Date.now() > deadline)
        throw new Error(`source-http-poll did not publish ${ITEMS} items: ${JSON.stringify(status)}`);
      await sleep(10);
    }
  } finally {
    await stopChild(child);
  }
}

/** Committed records of `topic`, as messages to send again, and their distinct keys. */
async function committed(kafka: Kafka, topic: string) {
  const keys = new Set<string>();
  const messages: Message[] = [];
  for (const partition of (await readCommitted(kafka, topic)).values())
    for (const r of partition) {
      messages.push({ key: r.key, value: r.value, headers: r.headers });
      keys.add(r.key?.toString('base64') ?? '');
    }
  // In the API's order (ids ascending) as the source sent them, not partition by partition: one
  // partition's 5,000 records in one batch would exceed the broker's message size.
  messages.sort((a, b) => Buffer.compare(a.key as Buffer, b.key as Buffer));
  return { records: messages.length, keys: keys.size, messages };
}

/** Records/s of a bare transactional kafkajs producer sending `messages` into `topic`, 5,000 per transaction. */
async function producerCeiling(kafka: Kafka, topic: string, messages: Message[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = createProducer(kafka, { transactionalId: uniqueName('bench.http-poll-ceiling') });
  await producer.connect();
  try {
    const start = performance.now();
    for (let i = 0; i < messages.length; i += RECORDS_PER_TRANSACTION) {
      const transaction = await producer.transaction();
      await transaction.sendBatch({
        topicMessages: [{ topic, messages: messages.slice(i, i + RECORDS_PER_TRANSACTION) }],
      });
      await transaction.commit();
    }
    return messages.length / ((performance.now() - start) / 1000);
  } finally {
    await producer.disconnect();
  }
}

export async function benchSourceHttpPoll(options: SourceHttpPollBenchOptions): Promise<BenchFigure[]> {
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'sluice-bench',
      logLevel: 'nothing',
    }),
  );
  const topics: string[] = [];
  const figures = {
    ceiling: [] as number[],
    producer: [] as number[],
    rate: [] as number[],
    startup: [] as number[],
    total: [] as number[],
    rss: [] as number[],
    missing: [] as number[],
  };
  const api = await ApiProcess.start();
  const dispatcher = new Agent({ connections: 1 });
  try {
    await fetchLoop(api.url, dispatcher); // warm-up, not measured
    for (let run = 0; run < options.runs; run++) {
      const c = await fetchLoop(api.url, dispatcher);
      if (c.items !== ITEMS) throw new Error(`ceiling: read ${c.items} items, expected ${ITEMS}`);
      figures.ceiling.push(c.items / c.seconds);

      const topic = uniqueName('bench.source-http-poll');
      const offsetsTopic = uniqueName('bench.source-http-poll-offsets');
      topics.push(topic, offsetsTopic);
      const s = await runSource(api, topic, offsetsTopic);
      const written = await committed(kafka, topic);
      figures.rate.push(s.rate);
      figures.startup.push(s.startup);
      figures.total.push(s.total);
      figures.rss.push(s.rssMib);
      figures.missing.push(ITEMS - written.records);
      const resent = uniqueName('bench.source-http-poll-resent');
      topics.push(resent);
      const producerRate = await producerCeiling(kafka, resent, written.messages);
      figures.producer.push(producerRate);
      const ok = written.records === ITEMS && written.keys === ITEMS;
      process.stderr.write(
        `  run ${run + 1}: ceiling ${Math.round(c.items / c.seconds)} items/s (${c.seconds.toFixed(2)} s); ` +
          `source-http-poll ${Math.round(s.rate)} items/s (${(ITEMS / s.rate).toFixed(2)} s from the first request, ` +
          `startup ${s.startup.toFixed(2)} s, ${s.pages} pages), ${Math.round((100 * s.rate) / (c.items / c.seconds))}% of the ceiling; ` +
          `peak RSS ${s.rssMib.toFixed(0)} MiB; committed ${written.records} records, ${written.keys} keys${ok ? '' : '  <-- MISMATCH'}; ` +
          `bare kafkajs producer sending them again ${Math.round(producerRate)} records/s\n`,
      );
    }
  } finally {
    await dispatcher.close();
    await stopChild(api.child);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await deleteTopicsIfPresent(admin, topics);
    } finally {
      await admin.disconnect();
    }
  }

  const ceilingName = `bare undici fetch loop in the bench process, same ${ITEMS / PAGE_SIZE} pages parsed, no Kafka: items/s`;
  return [
    {
      name: `${ITEMS.toLocaleString('en-US')} items in pages of ${PAGE_SIZE} (next-link, no latency) into Kafka, one stream, first request to all committed`,
      unit: 'items/s',
      runs: figures.rate,
      baseline: { name: ceilingName, runs: figures.ceiling },
      goal: '>= 0.5x the ceiling',
    },
    {
      name: `the Kafka client's ceiling: bare transactional kafkajs producer sending the same ${ITEMS.toLocaleString('en-US')} records again (${RECORDS_PER_TRANSACTION.toLocaleString('en-US')} per transaction), no HTTP/JSON/Avro`,
      unit: 'records/s',
      runs: figures.producer,
      baseline: { name: ceilingName, runs: figures.ceiling },
    },
    {
      name: 'source-http-poll beside the Kafka client ceiling',
      unit: 'items/s',
      runs: figures.rate,
      baseline: {
        name: 'bare transactional kafkajs producer, same records (above): records/s',
        runs: figures.producer,
      },
    },
    { name: 'same, startup (spawn to the first request)', unit: 's', runs: figures.startup },
    { name: 'same, spawn to all committed', unit: 's', runs: figures.total },
    { name: 'same, source process peak RSS (VmHWM)', unit: 'MiB', runs: figures.rss },
    {
      name: 'items not in the topic (read_committed records vs items served)',
      unit: 'records',
      runs: figures.missing,
      goal: '0',
    },
  ];
}
