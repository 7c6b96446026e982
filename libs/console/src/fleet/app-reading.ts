import { histogramBuckets, parsePrometheusText, quantile, sumOf } from '@sluice/demo';
import { type ConnectorOffsetsAnswer, type ConnectorStatusAnswer, type ConnectorSummary } from './app-client';
import { statusEntryStrings } from './status-entries';

/** One connector of a running app, as the console shows it. */
export interface ConnectorReading extends ConnectorSummary {
  readonly status?: ConnectorStatusAnswer;
  readonly offsets?: ConnectorOffsetsAnswer;
}

/** What one app said at one read: its connectors, /status, and figures from its /metrics. */
export interface AppReading {
  readonly url: string;
  readonly answering: boolean;
  /** Why it did not answer (or a part of it did not). */
  readonly error?: string;
  readonly connectors: readonly ConnectorReading[];
  readonly status?: Readonly<Record<string, unknown>>;
  readonly figures: AppFigures;
}

/** Figures from an app's /metrics (the series Prometheus scrapes). */
export interface AppFigures {
  /** Records (consumers) or events (sources) finished since the app started. */
  readonly total: number;
  /** Per second since the previous read; undefined on the first. */
  readonly rate?: number;
  /** Consumer lag summed over the app's partitions; undefined for sources. */
  readonly lag?: number;
  readonly deadLettered: number;
  /** Consumer groups named by its series. */
  readonly groups: readonly string[];
  readonly inputTopics: readonly string[];
  readonly outputTopics: readonly string[];
  /** End-to-end latency (source commit → this stage), seconds, since the app started. */
  readonly latency: { readonly p50?: number; readonly p99?: number };
}

type Sample = ReturnType<typeof parsePrometheusText>[number];

const CONSUMED = 'sluice_stream_records_total';
const PRODUCED = 'sluice_stream_output_records_total';
const SOURCE_EVENTS = 'sluice_source_events_total';
const WEBHOOK_REQUESTS = 'sluice_webhook_requests_total';
const POLL_ITEMS = 'sluice_http_poll_items_total';
const LAG = 'sluice_consumer_lag_records';
const DLQ = 'sluice_dlq_records_total';
const LATENCY = 'sluice_end_to_end_latency_seconds';

/**
 * Reads the figures of one app's /metrics text. `previous` (the last read's total and time) gives
 * the rate. Pure: the fleet reader keeps the previous totals.
 */
export function figuresOf(
  metricsText: string | undefined,
  status: Readonly<Record<string, unknown>> | undefined,
  previous: { readonly total: number; readonly at: number } | undefined,
  now: number,
): AppFigures {
  const samples = metricsText === undefined ? [] : parsePrometheusText(metricsText);
  const consumer = samples.some((s) => s.name === CONSUMED || s.name === LAG);
  const total = consumer
    ? sumOf(samples, CONSUMED)
    : sumOf(samples, SOURCE_EVENTS) +
      sumOf(samples, WEBHOOK_REQUESTS, { outcome: 'accepted' }) +
      sumOf(samples, POLL_ITEMS);
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const buckets = histogramBuckets(samples, LATENCY);
  const statusTopics = stringList(status?.topics);
  const inputs = labelValues(samples, [CONSUMED, LAG], 'topic');
  const outputs = labelValues(samples, [PRODUCED], 'topic');
  return {
    total,
    ...(previous && seconds > 0 ? { rate: Math.max(0, total - previous.total) / seconds } : {}),
    ...(consumer ? { lag: sumOf(samples, LAG) } : {}),
    deadLettered: sumOf(samples, DLQ),
    groups: unique([...labelValues(samples, [CONSUMED, LAG, DLQ], 'group'), ...stringList(status?.group)]),
    inputTopics: unique(consumer ? [...inputs, ...statusTopics] : inputs),
    outputTopics: unique([...outputs, ...(consumer ? [] : [...statusTopics, ...endpointTopics(status)])]),
    latency: { p50: quantile(buckets, 0.5), p99: quantile(buckets, 0.99) },
  };
}

function labelValues(samples: readonly Sample[], names: readonly string[], label: string): string[] {
  const values = new Set<string>();
  for (const s of samples) if (names.includes(s.name) && s.labels[label]) values.add(s.labels[label]);
  return [...values];
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Topics named by a source's endpoints or streams in its /status (source-webhook, source-http-poll). */
function endpointTopics(status: Readonly<Record<string, unknown>> | undefined): string[] {
  return ['endpoints', 'streams', 'tables'].flatMap((key) => statusEntryStrings(status, key, 'topic') ?? []);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
