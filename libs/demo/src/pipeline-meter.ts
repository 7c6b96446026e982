import type { AppProcess } from './app-process';
import {
  bucketsBetween,
  histogramBuckets,
  parsePrometheusText,
  quantile,
  type Sample,
  sumOf,
} from './prometheus-text';

/** One stage of the pipeline, as the live view and the summary show it. */
export interface StageReading {
  readonly stage: string;
  /** Events (source) or records (consumers) finished since the start. */
  readonly total: number;
  /** Per second over the last interval. */
  readonly rate: number;
  /** Consumer lag summed over the stage's partitions (undefined for the source). */
  readonly lag: number | undefined;
  readonly deadLettered: number;
  readonly answering: boolean;
}

export interface PipelineReading {
  readonly stages: readonly StageReading[];
  /** Source commit → sink write, over the last interval and since the start (seconds). */
  readonly latency: {
    readonly recent: { readonly p50?: number; readonly p99?: number };
    readonly overall: { readonly p50?: number; readonly p99?: number };
  };
  readonly snapshot: { readonly done: number; readonly total: number } | undefined;
  /** Events the source read and Kafka has not acknowledged yet. */
  readonly sourcePending: number;
  /** Requests the webhook sources answered, by outcome (undefined without webhook sources). */
  readonly webhookRequests?: WebhookRequestCounts;
}

export interface WebhookRequestCounts {
  /** Written to Kafka, then answered 200 `accepted`. */
  readonly accepted: number;
  /** A delivery id already written: answered 200 `duplicate`, not written again. */
  readonly duplicate: number;
  /** Answered otherwise (401, 400, 503, ...). */
  readonly refused: number;
}

const WEBHOOK_REQUESTS = 'sluice_webhook_requests_total';

const LATENCY = 'sluice_end_to_end_latency_seconds';

/**
 * Reads every app's `/metrics` (the same series Prometheus scrapes): events per stage, lag, dead
 * letters, snapshot progress, and end-to-end latency from the sinks' histograms.
 */
export class PipelineMeter {
  private previous = new Map<string, { total: number; at: number }>();
  private previousLatency = new Map<number, number>();
  private readonly firstLatency = new Map<number, number>();
  private firstRead = true;

  constructor(
    private readonly source: AppProcess,
    private readonly consumers: readonly AppProcess[],
    /** The apps whose end-to-end latency is the pipeline's (the sinks). */
    private readonly sinks: readonly AppProcess[],
    /** source-webhook apps: a stage each, counting the requests accepted into Kafka. */
    private readonly webhookSources: readonly AppProcess[] = [],
  ) {}

  async read(): Promise<PipelineReading> {
    const now = Date.now();
    const scraped = new Map<AppProcess, Sample[] | undefined>();
    await Promise.all(
      [this.source, ...this.webhookSources, ...this.consumers].map(async (app) => {
        const text = await app.metrics();
        scraped.set(app, text === undefined ? undefined : parsePrometheusText(text));
      }),
    );
    const stages: StageReading[] = [];
    const sourceSamples = scraped.get(this.source);
    stages.push(this.stage(this.source.name, sourceSamples, 'sluice_source_events_total', now, false));
    for (const app of this.webhookSources)
      stages.push(
        this.stage(app.name, scraped.get(app), WEBHOOK_REQUESTS, now, false, { outcome: 'accepted' }),
      );
    for (const app of this.consumers)
      stages.push(this.stage(app.name, scraped.get(app), 'sluice_stream_records_total', now, true));

    const latency = new Map<number, number>();
    for (const sink of this.sinks)
      for (const [le, count] of histogramBuckets(scraped.get(sink) ?? [], LATENCY))
        latency.set(le, (latency.get(le) ?? 0) + count);
    if (this.firstRead) for (const [le, count] of latency) this.firstLatency.set(le, count);
    const recent = bucketsBetween(this.previousLatency, latency);
    const overall = bucketsBetween(this.firstLatency, latency);
    this.previousLatency = latency;
    this.firstRead = false;

    const snapshotTotal = sourceSamples ? sumOf(sourceSamples, 'sluice_snapshot_rows_total') : 0;
    return {
      stages,
      latency: {
        recent: { p50: quantile(recent, 0.5), p99: quantile(recent, 0.99) },
        overall: { p50: quantile(overall, 0.5), p99: quantile(overall, 0.99) },
      },
      snapshot:
        snapshotTotal > 0
          ? { done: sumOf(sourceSamples!, 'sluice_snapshot_rows_done'), total: snapshotTotal }
          : undefined,
      sourcePending: sourceSamples ? sumOf(sourceSamples, 'sluice_source_pending_events') : 0,
      ...(this.webhookSources.length > 0 ? { webhookRequests: this.webhookCounts(scraped) } : {}),
    };
  }

  private webhookCounts(scraped: ReadonlyMap<AppProcess, Sample[] | undefined>): WebhookRequestCounts {
    let accepted = 0;
    let duplicate = 0;
    let all = 0;
    for (const app of this.webhookSources) {
      const samples = scraped.get(app) ?? [];
      accepted += sumOf(samples, WEBHOOK_REQUESTS, { outcome: 'accepted' });
      duplicate += sumOf(samples, WEBHOOK_REQUESTS, { outcome: 'duplicate' });
      all += sumOf(samples, WEBHOOK_REQUESTS);
    }
    return { accepted, duplicate, refused: all - accepted - duplicate };
  }

  private stage(
    name: string,
    samples: Sample[] | undefined,
    counter: string,
    now: number,
    consumer: boolean,
    where: Record<string, string> = {},
  ): StageReading {
    const last = this.previous.get(name);
    const total = samples ? sumOf(samples, counter, where) : (last?.total ?? 0);
    const seconds = last ? (now - last.at) / 1000 : 0;
    this.previous.set(name, { total, at: now });
    return {
      stage: name,
      total,
      rate: seconds > 0 ? Math.max(0, total - last!.total) / seconds : 0,
      lag: consumer && samples ? sumOf(samples, 'sluice_consumer_lag_records') : undefined,
      deadLettered: samples ? sumOf(samples, 'sluice_dlq_records_total') : 0,
      answering: samples !== undefined,
    };
  }
}
