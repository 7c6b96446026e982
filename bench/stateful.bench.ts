// Stateful steps (issue #27): records per second through a stream–table join and through a
// 1-minute tumbling count, each beside the stateless pipeline (unwrap only) over the same input in
// the same run, all exactly-once; and the time to restore a state store from its changelog, per
// 100,000 changelog records.
//
// The input is the transformer bench's: Debezium-shaped order events (~500 bytes, 4 partitions),
// `source.ts_ms` one millisecond apart (so a minute of event time is 60,000 records). The join's
// table is a CDC topic of 1,000 customers written before the orders; each order joins customer
// `id % 1000` (a global table). Rates are timed from the group's first committed progress to the
// last (process start, the group join and the table's restore are not counted). The count and a
// dedupe of every order id (a store that grows by one entry per record) run twice: with the store
// in memory and on disk (LMDB, `storage: disk`). The restore is timed by the transformer itself
// (`/status` stateStores[].durationMs): the dedupe first remembers every order id (one changelog
// record each), then a second process of the same group restores them as its partitions are
// assigned (no new record needed), into memory or onto disk.
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, createProducer, TopicProvisioner } from '@sluice/kafka';
import { RecordEncoder } from '@sluice/schema';
import { deleteTopicsIfPresent, uniqueName, untilConsumed, stopChild } from '@sluice/test-support';
import {
  appConfig,
  freePort,
  kafkaConfig,
  registry,
  startTransformer,
  untilLeaders,
  untilReady,
} from '../test/integration/transformer/transformer-harness';
import { type BenchFigure } from './support/bench-figure';
import { PendingStops } from './support/pending-stops';
import { committed, preload, timeRate } from './transformer.bench';

export interface StatefulBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const PARTITIONS = 4;
const CUSTOMERS = 1_000;

const customerEnvelope = JSON.stringify({
  type: 'record',
  name: 'Envelope',
  namespace: 'bench.demo.customers',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'name', type: 'string' },
            { name: 'tier', type: 'string' },
          ],
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
  ],
});
const customerKey = JSON.stringify({
  type: 'record',
  name: 'Key',
  namespace: 'bench.demo.customers',
  fields: [{ name: 'id', type: 'long' }],
});

/** The customers table topic, written before the orders (its rows are current for every order). */
async function customers(kafka: Kafka, admin: Admin): Promise<string> {
  const topic = uniqueName('bench.st.customers');
  await new TopicProvisioner(admin).provision([{ name: topic, partitions: 2, replicationFactor: 1 }]);
  await untilLeaders(admin, topic);
  const encoder = new RecordEncoder(registry);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const messages = [];
    for (let id = 0; id < CUSTOMERS; id++)
      messages.push({
        key: await encoder.encode(`${topic}-key`, customerKey, { id }),
        value: await encoder.encode(`${topic}-value`, customerEnvelope, {
          before: null,
          after: { id, name: `customer ${id}`, tier: id % 10 === 0 ? 'gold' : 'standard' },
          op: 'c',
        }),
      });
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
  return topic;
}

type Storage = 'memory' | 'disk';

interface Variant {
  readonly label: string;
  /** The pipeline's steps, as YAML lines under `steps:`. */
  readonly steps: string[];
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly group: string;
  readonly output: string;
}

async function start(input: string, steps: string[], group = uniqueName('bench.st.group')): Promise<Started> {
  const output = uniqueName('bench.st.out');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-stateful-'));
  const pipeline = join(dir, 'pipeline.yaml');
  const name = uniqueName('bench-st')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  writeFileSync(
    pipeline,
    [
      `name: ${name}`,
      `from: { topics: [${input}] }`,
      `to: ${output}`,
      `groupId: ${group}`,
      'steps:',
      ...steps.map((s) => `  - ${s}`),
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startTransformer(
    appConfig(pipeline, {
      http: { host: '127.0.0.1', port },
      logging: { level: 'error' },
      runtime: { concurrency: { partitions: PARTITIONS, keysPerPartition: 8 } },
    }),
  );
  await untilReady(`${url}/health/ready`, 120_000);
  return { child, url, group, output };
}

/** Ends `run`'s process (SIGTERM, its graceful stop) and deletes `topics`. */
async function stop(admin: Admin, run: Started, topics: readonly string[]): Promise<void> {
  await stopChild(run.child);
  await deleteTopicsIfPresent(admin, topics);
}

/**
 * What a run made: its output, its group's DLQ and its stores' changelogs (every variant names its
 * store `counts` or `seen`).
 */
const topicsOf = (run: Started) => [
  run.output,
  `${run.group}.dlq`,
  ...['counts', 'seen'].map((store) => `${run.group}-${store}-changelog`),
];

/**
 * Records/s of `variant` over `input`. With `then`, the stopped run's group and changelogs are
 * handed to it before they are removed (a restore measured from the changelog this run wrote).
 */
async function rate(
  admin: Admin,
  stops: PendingStops,
  input: string,
  total: number,
  variant: Variant,
  then?: (group: string) => Promise<void>,
): Promise<number> {
  const run = await start(input, variant.steps);
  try {
    await stops.settled();
    const measured = await timeRate(() => committed(admin, run.group, input), total, 600_000);
    // A figure for records that failed into the DLQ would measure the failure path.
    const status = (await (await fetch(`${run.url}/status`)).json()) as { recordsDeadLettered: number };
    if (status.recordsDeadLettered > 0)
      throw new Error(
        `${variant.label}: ${status.recordsDeadLettered} records dead-lettered; the bench is invalid`,
      );
    if (then) {
      await stopChild(run.child);
      await then(run.group);
    }
    return measured;
  } finally {
    stops.add(() => stop(admin, run, topicsOf(run)));
  }
}

interface StoreStatus {
  stateStores?: { restoredRecords: number; totalRecords: number; done: boolean; durationMs?: number }[];
}

/**
 * Milliseconds to restore `records` changelog records (the slowest partition: they restore at once)
 * into the store of `variant`: a second process of `group`, whose first process (the variant's
 * measured run) consumed the whole input and stopped.
 */
async function restore(
  admin: Admin,
  stops: PendingStops,
  input: string,
  records: number,
  variant: Variant,
  group: string,
): Promise<number> {
  await untilConsumed(admin, group, input, 600_000);
  // Its partitions' stores restore as they are assigned, before (and without) any new record.
  const second = await start(input, variant.steps, group);
  try {
    await stops.settled();
    const deadline = Date.now() + 300_000;
    for (;;) {
      const status = (await (await fetch(`${second.url}/status`)).json()) as StoreStatus;
      const stores = status.stateStores ?? [];
      const restored = stores.reduce((s, p) => s + p.restoredRecords, 0);
      if (stores.length === PARTITIONS && stores.every((p) => p.done)) {
        if (restored < records) throw new Error(`restored ${restored} of ${records} changelog records`);
        return Math.max(...stores.map((p) => p.durationMs ?? 0)) * (100_000 / restored);
      }
      if (Date.now() > deadline) throw new Error(`restore not done: ${JSON.stringify(stores)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    // Its group's topics are the first process's, deleted by that one's stop.
    stops.add(() => stop(admin, second, [second.output]));
  }
}

export async function benchStateful(options: StatefulBenchOptions): Promise<BenchFigure[]> {
  const total = options.quick ? 20_000 : 200_000;
  const kafka = createKafkaClient({ ...kafkaConfig, clientId: 'sluice-bench-stateful' });
  const admin = kafka.admin();
  await admin.connect();
  const table = await customers(kafka, admin);
  const input = await preload(kafka, admin, total);
  const unwrap = 'unwrap: { addFields: [source.ts_ms] }';
  const stateless: Variant = { label: 'stateless', steps: [unwrap] };
  const join: Variant = {
    label: 'join',
    steps: [unwrap, `join: { table: ${table}, on: "id % ${CUSTOMERS}", as: customer, global: true }`],
  };
  const count = (storage: Storage): Variant => ({
    label: `count (${storage})`,
    steps: [
      unwrap,
      'aggregate: { groupBy: region, time: __source_ts_ms, window: { size: 1m }, aggregations: { n: count }, ' +
        `emit: final, store: counts, storage: ${storage} }`,
    ],
  });
  const dedupe = (storage: Storage): Variant => ({
    label: `dedupe (${storage})`,
    steps: [unwrap, `dedupe: { key: id, within: 24h, store: seen, storage: ${storage} }`],
  });
  const runs = {
    stateless: [] as number[],
    join: [] as number[],
    count: [] as number[],
    countDisk: [] as number[],
    dedupe: [] as number[],
    dedupeDisk: [] as number[],
    restore: [] as number[],
    restoreDisk: [] as number[],
  };
  const round = (n: number | undefined) => Math.round(n ?? 0);
  const stops = new PendingStops();
  try {
    for (let r = 0; r < options.runs; r++) {
      runs.stateless.push(await rate(admin, stops, input, total, stateless));
      runs.join.push(await rate(admin, stops, input, total, join));
      runs.count.push(await rate(admin, stops, input, total, count('memory')));
      runs.countDisk.push(await rate(admin, stops, input, total, count('disk')));
      // Each dedupe run's changelog is then restored by a second process of its group.
      for (const storage of ['memory', 'disk'] as const) {
        const variant = dedupe(storage);
        const restoreMs = { value: 0 };
        const measured = await rate(admin, stops, input, total, variant, async (group) => {
          restoreMs.value = await restore(admin, stops, input, total, variant, group);
        });
        (storage === 'memory' ? runs.dedupe : runs.dedupeDisk).push(measured);
        (storage === 'memory' ? runs.restore : runs.restoreDisk).push(restoreMs.value);
      }
      process.stderr.write(
        `bench: stateful run ${r + 1}: stateless ${round(runs.stateless.at(-1))}/s, join ${round(
          runs.join.at(-1),
        )}/s, 1-minute count ${round(runs.count.at(-1))}/s (disk ${round(runs.countDisk.at(-1))}/s), ` +
          `dedupe ${round(runs.dedupe.at(-1))}/s (disk ${round(runs.dedupeDisk.at(-1))}/s), restore ` +
          `${round(runs.restore.at(-1))} ms per 100,000 (disk ${round(runs.restoreDisk.at(-1))})\n`,
      );
    }
    await stops.settled();
  } finally {
    await stops.settled().catch(() => undefined);
    await admin.deleteTopics({ topics: [input, table] }).catch(() => undefined);
    await admin.disconnect();
  }
  const records = `${total.toLocaleString('en-US')} records, exactly-once`;
  const baseline = { name: 'stateless pipeline (unwrap), same input', runs: runs.stateless };
  return [
    {
      name: `join with a 1,000-row global table (unwrap + join, ${records})`,
      unit: 'records/s',
      runs: runs.join,
      baseline,
      goal: '>= 60% of the stateless pipeline',
    },
    {
      name: `1-minute tumbling count per region, emit final (unwrap + aggregate, ${records})`,
      unit: 'records/s',
      runs: runs.count,
      baseline,
      goal: '>= 60% of the stateless pipeline',
    },
    {
      name: `1-minute tumbling count per region, store on disk (LMDB) (unwrap + aggregate, ${records})`,
      unit: 'records/s',
      runs: runs.countDisk,
      baseline,
      goal: '>= 60% of the stateless pipeline',
    },
    {
      name: `dedupe of every order id, store in memory (unwrap + dedupe, ${records})`,
      unit: 'records/s',
      runs: runs.dedupe,
      baseline,
    },
    {
      name: `dedupe of every order id, store on disk (LMDB) (unwrap + dedupe, ${records})`,
      unit: 'records/s',
      runs: runs.dedupeDisk,
      baseline: { name: 'the same dedupe, store in memory', runs: runs.dedupe },
    },
    {
      name: `state store restore from its changelog into memory (dedupe of ${total.toLocaleString('en-US')} ids, 4 partitions at once, on assignment)`,
      unit: 'ms per 100,000 records',
      runs: runs.restore,
    },
    {
      name: `state store restore from its changelog onto disk (LMDB) (dedupe of ${total.toLocaleString('en-US')} ids, 4 partitions at once, on assignment)`,
      unit: 'ms per 100,000 records',
      runs: runs.restoreDisk,
    },
  ];
}
