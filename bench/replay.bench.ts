// Replay re-publish rate (issue #9): `sluice replay --to-topic` of a whole topic range into a
// fresh topic (exactly-once: transactional chunks with the checkpoint, read committed), beside a
// raw kafkajs copy of the same range in the same run (a plain consumer → producer loop, one
// sendBatch per fetched batch, idempotent but not transactional). Goal: >= 0.70 of the raw copy.
//
// The source topic (3 partitions, ~300-byte records with a key and two headers) is filled once;
// each run copies all of it into fresh topics. Both rates are timed end to end, connection and
// group join included (the replay also fences its transactional id and reads its checkpoint),
// after one uncounted warm-up pair.
import { type Admin, type Kafka } from 'kafkajs';
import { createKafkaClient, createProducer, kafkaConfigSchema, TopicProvisioner } from '@sluice/kafka';
import { ReplayCheckpointStore, ReplayRepublisher } from '@sluice/replay';
import { stackAddresses, uniqueName } from '@sluice/test-support';
import { type BenchFigure } from './support/bench-figure';

export interface ReplayBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const PARTITIONS = 3;
const VALUE_BYTES = 260;

async function createTopic(admin: Admin, name: string): Promise<string> {
  await new TopicProvisioner(admin).provision([{ name, partitions: PARTITIONS, replicationFactor: 1 }]);
  return name;
}

async function fill(kafka: Kafka, topic: string, records: number): Promise<void> {
  const producer = createProducer(kafka);
  await producer.connect();
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  for (let sent = 0; sent < records;) {
    const n = Math.min(2_000, records - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({
        key: `key-${(sent + i) % 5_000}`,
        value,
        headers: { source: 'bench', seq: String(sent + i) },
      })),
    });
    sent += n;
  }
  await producer.disconnect();
}

interface Measured {
  /** Records a second, end to end. */
  rate: number;
  /** CPU of this process (user + system) per record, µs: steadier than rates on a busy machine. */
  cpuPerRecord: number;
}

async function measure(records: number, work: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: records / seconds, cpuPerRecord: (used.user + used.system) / records };
}

/** The raw copy: consume from the beginning, send each fetched batch, until `records` are sent. */
async function rawCopy(kafka: Kafka, source: string, target: string, records: number): Promise<void> {
  const producer = createProducer(kafka);
  const consumer = kafka.consumer({ groupId: uniqueName('bench.replay.raw'), maxWaitTimeInMs: 500 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: source, fromBeginning: true });
  let copied = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          await producer.sendBatch({
            topicMessages: [
              {
                topic: target,
                messages: batch.messages.map((m) => ({
                  key: m.key,
                  value: m.value,
                  headers: m.headers,
                  partition: batch.partition,
                })),
              },
            ],
            acks: -1,
          });
          copied += batch.messages.length;
          if (copied >= records) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await producer.disconnect();
}

async function replay(
  kafka: Kafka,
  admin: Admin,
  source: string,
  target: string,
  records: number,
): Promise<void> {
  const republisher = new ReplayRepublisher(kafka, admin, new ReplayCheckpointStore(kafka, admin));
  const result = await republisher.run({
    replayId: uniqueName('bench'),
    definition: { source, target, reencodeLatest: false, range: 'all' },
    range: {},
  });
  if (result.published !== records) throw new Error(`replay published ${result.published} of ${records}`);
}

export async function benchReplay(options: ReplayBenchOptions): Promise<BenchFigure[]> {
  const records = options.quick ? 50_000 : 200_000;
  const kafka = createKafkaClient(
    kafkaConfigSchema.parse({
      brokers: stackAddresses().kafkaBrokers,
      clientId: 'sluice-bench-replay',
      logLevel: 'nothing',
    }),
  );
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  const fresh = async (stem: string) => {
    const name = await createTopic(admin, uniqueName(stem));
    topics.push(name);
    return name;
  };
  try {
    const source = await fresh('bench.replay.source');
    await fill(kafka, source, records);
    // One pair first, not counted: the first runs after a start pay for JIT warm-up, in this
    // process and in the broker.
    await rawCopy(kafka, source, await fresh('bench.replay.warmup'), records);
    await replay(kafka, admin, source, await fresh('bench.replay.warmup'), records);
    const raw: Measured[] = [];
    const replayed: Measured[] = [];
    for (let run = 0; run < options.runs; run++) {
      // Alternating which goes first, so neither always meets a warmer broker.
      const pair = [
        async () => {
          const target = await fresh('bench.replay.raw');
          raw.push(await measure(records, () => rawCopy(kafka, source, target, records)));
        },
        async () => {
          const target = await fresh('bench.replay.target');
          replayed.push(await measure(records, () => replay(kafka, admin, source, target, records)));
        },
      ];
      for (const step of run % 2 === 0 ? pair : pair.reverse()) await step();
      const [r, b] = [replayed.at(-1)!, raw.at(-1)!];
      process.stderr.write(
        `bench: replay run ${run + 1}: replay ${Math.round(r.rate)}/s (${r.cpuPerRecord.toFixed(1)} µs CPU/record), ` +
          `raw ${Math.round(b.rate)}/s (${b.cpuPerRecord.toFixed(1)} µs CPU/record)\n`,
      );
    }
    const what = `${records.toLocaleString('en-US')} records of ~300 B, ${PARTITIONS} partitions`;
    const baseline = 'raw kafkajs copy (consumer → producer, not transactional)';
    return [
      {
        name: `replay re-publish, ${what} (exactly-once, checkpointed)`,
        unit: 'records/s',
        runs: replayed.map((m) => m.rate),
        baseline: { name: baseline, runs: raw.map((m) => m.rate) },
        goal: '>= 0.70x the raw copy',
      },
      {
        name: `replay re-publish CPU of the replaying process, ${what}`,
        unit: 'µs/record',
        runs: replayed.map((m) => m.cpuPerRecord),
        baseline: { name: baseline, runs: raw.map((m) => m.cpuPerRecord) },
      },
    ];
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
}
