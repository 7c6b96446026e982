import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one Prometheus registry: process defaults (CPU, memory, event loop lag, GC) plus
 * every `sluice_*` series. Metrics are declared where what they measure lives, through the small
 * interfaces below; prom-client stays inside this lib.
 */
let registry: Registry | undefined;

function processRegistry(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

export interface MetricSpec<L extends string> {
  /** `sluice_<what>_<unit>[_total]` (docs/metrics.md lists every one). */
  readonly name: string;
  readonly help: string;
  /** Bounded label names only: never keys or offsets. */
  readonly labelNames: readonly L[];
}

export type Labels<L extends string> = Readonly<Record<L, string>>;

export interface CounterMetric<L extends string> {
  inc(labels: Labels<L>, value?: number): void;
  /**
   * A handle bound to fixed labels, for per-record paths: it counts in the process, and the sum
   * shows at the next read of the registry (/metrics).
   */
  bind(labels: Labels<L>): { inc(value?: number): void };
}

export interface HistogramMetric<L extends string> {
  observe(labels: Labels<L>, value: number): void;
  bind(labels: Labels<L>): { observe(value: number): void };
}

export interface GaugeMetric<L extends string> {
  set(labels: Labels<L>, value: number): void;
  /**
   * Adds a collector run at every scrape (after the gauge is cleared), e.g. reading lag from a
   * runtime's status; returns its removal. Several collectors (several runtimes) may share a gauge.
   */
  collectWith(collect: (gauge: Pick<GaugeMetric<L>, 'set'>) => void | Promise<void>): () => void;
}

/**
 * A bound counter's increments since the last scrape. Per-record paths count into a plain number;
 * prom-client's child (which validates and looks up its label hash on every `inc`, ~0.4 µs: a few
 * per record add up to ~2 % of the transformer's CPU) gets the sum when the registry is read.
 */
interface CounterTally {
  pending: number;
  readonly child: { inc(value: number): void };
}

/** Tallies by counter name, then by labels: binding the same labels again shares one. */
const counterTallies = new Map<string, Map<string, CounterTally>>();

/** Declares (or finds, when declared before) a counter. */
export function counter<L extends string>(spec: MetricSpec<L>): CounterMetric<L> {
  const reg = processRegistry();
  const all = counterTallies.get(spec.name) ?? new Map<string, CounterTally>();
  counterTallies.set(spec.name, all);
  const metric =
    (reg.getSingleMetric(spec.name) as Counter<L> | undefined) ??
    new Counter<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [reg],
      collect() {
        for (const tally of all.values())
          if (tally.pending > 0) {
            tally.child.inc(tally.pending);
            tally.pending = 0;
          }
      },
    });
  return {
    inc: (labels, value = 1) => metric.inc(labels as Partial<Record<L, string>>, value),
    bind: (labels) => {
      const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
      let tally = all.get(key);
      if (tally === undefined)
        all.set(key, (tally = { pending: 0, child: metric.labels(labels as Partial<Record<L, string>>) }));
      const bound = tally;
      return {
        inc: (value = 1) => {
          if (!(value >= 0)) throw new Error(`${spec.name}: a counter only goes up (inc ${value})`);
          bound.pending += value;
        },
      };
    },
  };
}

/** Declares (or finds) a histogram; `buckets` in the metric's unit. */
export function histogram<L extends string>(
  spec: MetricSpec<L> & { readonly buckets: readonly number[] },
): HistogramMetric<L> {
  const reg = processRegistry();
  const metric =
    (reg.getSingleMetric(spec.name) as Histogram<L> | undefined) ??
    new Histogram<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      buckets: [...spec.buckets],
      registers: [reg],
    });
  return {
    observe: (labels, value) => metric.observe(labels as Partial<Record<L, string>>, value),
    bind: (labels) => metric.labels(labels as Partial<Record<L, string>>),
  };
}

const gaugeCollectors = new Map<
  string,
  Set<(gauge: Pick<GaugeMetric<string>, 'set'>) => void | Promise<void>>
>();

/** Declares (or finds) a gauge. */
export function gauge<L extends string>(spec: MetricSpec<L>): GaugeMetric<L> {
  const reg = processRegistry();
  let collectors = gaugeCollectors.get(spec.name);
  if (collectors === undefined) gaugeCollectors.set(spec.name, (collectors = new Set()));
  const all = collectors;
  const metric =
    (reg.getSingleMetric(spec.name) as Gauge<L> | undefined) ??
    new Gauge<L>({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames,
      registers: [reg],
      async collect() {
        if (all.size === 0) return;
        this.reset();
        const setter = {
          set: (labels: Labels<string>, value: number) =>
            this.set(labels as Partial<Record<L, string>>, value),
        };
        for (const collect of all) await collect(setter);
      },
    });
  const set = (labels: Labels<L>, value: number) => metric.set(labels as Partial<Record<L, string>>, value);
  return {
    set,
    collectWith: (collect) => {
      const entry = collect as (gauge: Pick<GaugeMetric<string>, 'set'>) => void | Promise<void>;
      all.add(entry);
      return () => all.delete(entry);
    },
  };
}

/** The Prometheus text exposition of every metric of the process. */
export async function metricsExposition(): Promise<{ contentType: string; body: string }> {
  const reg = processRegistry();
  return { contentType: reg.contentType, body: await reg.metrics() };
}

/** Exponential buckets for latencies in seconds, 1 ms .. ~65 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
