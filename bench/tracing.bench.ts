// Tracing cost (issue #7): the transformer's throughput (unwrap + mask + route, Avro, exactly-once)
// with tracing off, on at 10 % parent-based sampling and at 100 %, side by side in the same run,
// exporting to the local stack's Jaeger (OTLP/HTTP). As in a pipeline, the decision is the source's:
// the input records carry a W3C traceparent, sampled on 10 % of them (one input topic) or on all
// (another), and the transformer follows its parent. Goal: <= 10 % cost at 10 % sampling. Besides
// the rate, the transformer process's CPU time per record: on a shared machine the rate moves with
// whatever else runs, the CPU a record costs much less.
import { randomBytes } from 'node:crypto';
import { createKafkaClient } from '@sluice/kafka';
import { kafkaConfig } from '../test/integration/transformer/transformer-harness';
import { type BenchFigure } from './support/bench-figure';
import { PendingStops } from './support/pending-stops';
import { preload, transformer } from './transformer.bench';

export interface TracingBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
  /** Where spans go: the stack's Jaeger OTLP/HTTP endpoint. */
  readonly otlpEndpoint: string;
}

/**
 * How long each run's CPU is counted past its last record: the span processor exports a batch
 * 1 s after its first span (2,048 spans sooner), and at 10 % of the quick size's records the last
 * export comes only then, after the records. Every variant waits the same, so each counts the
 * same idle time.
 */
const EXPORT_SETTLE_MS = 1_200;

/** The context a tracing source puts on an event, sampled on `ratio` of the events. */
const traceparent = (ratio: number) => (i: number) => ({
  traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-${
    i % Math.round(1 / ratio) === 0 ? '01' : '00'
  }`,
});

export async function benchTracing(options: TracingBenchOptions): Promise<BenchFigure[]> {
  const total = options.quick ? 20_000 : 200_000;
  const kafka = createKafkaClient({ ...kafkaConfig, clientId: 'sluice-bench-tracing' });
  const admin = kafka.admin();
  await admin.connect();
  const tenth = await preload(kafka, admin, total, traceparent(0.1));
  const all = await preload(kafka, admin, total, traceparent(1));
  const variants = [
    { name: 'off', input: tenth, tracing: { enabled: false } },
    { name: '10%', input: tenth, tracing: { enabled: true, samplingRatio: 0.1 } },
    { name: '100%', input: all, tracing: { enabled: true, samplingRatio: 1 } },
  ] as const;
  const rates: Record<(typeof variants)[number]['name'], number[]> = { off: [], '10%': [], '100%': [] };
  const cpu: Record<(typeof variants)[number]['name'], number[]> = { off: [], '10%': [], '100%': [] };
  const stops = new PendingStops();
  try {
    for (let run = 0; run < options.runs; run++) {
      // Interleaved, so drift on the machine spreads over every variant.
      for (const variant of variants) {
        const tracing = { ...variant.tracing, endpoint: options.otlpEndpoint };
        const run = await transformer(
          admin,
          stops,
          variant.input,
          total,
          'exactly-once',
          { tracing },
          EXPORT_SETTLE_MS,
        );
        rates[variant.name].push(run.rate);
        cpu[variant.name].push((run.cpuSeconds / total) * 1e6);
      }
      process.stderr.write(
        `bench: tracing run ${run + 1}: ${variants
          .map(
            (v) =>
              `${v.name} ${Math.round(rates[v.name].at(-1)!)}/s ${cpu[v.name].at(-1)!.toFixed(1)} µs CPU/record`,
          )
          .join(', ')}\n`,
      );
    }
    await stops.settled();
  } finally {
    await stops.settled().catch(() => undefined);
    await admin.deleteTopics({ topics: [tenth, all] }).catch(() => undefined);
    await admin.disconnect();
  }
  const baseline = { name: 'tracing off', runs: rates.off };
  const records = total.toLocaleString('en-US');
  return [
    {
      name: `transformer, tracing on, 10% parent-based sampling (${records} records)`,
      unit: 'records/s',
      runs: rates['10%'],
      baseline,
      goal: '>= 90% of tracing off',
    },
    {
      name: `transformer, tracing on, 100% sampling (${records} records)`,
      unit: 'records/s',
      runs: rates['100%'],
      baseline,
    },
    // CPU per record is what tracing adds to the process, whatever else the machine is doing.
    {
      name: 'transformer CPU per record, tracing on, 10% parent-based sampling',
      unit: 'µs CPU/record',
      runs: cpu['10%'],
      baseline: { name: 'tracing off', runs: cpu.off },
      goal: '<= 110% of tracing off',
    },
    {
      name: 'transformer CPU per record, tracing on, 100% sampling',
      unit: 'µs CPU/record',
      runs: cpu['100%'],
      baseline: { name: 'tracing off', runs: cpu.off },
    },
  ];
}
