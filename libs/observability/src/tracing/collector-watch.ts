import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';

/** An export still running after this long is being retried: the collector is away or stuck. */
export const STALLED_EXPORT_MS = 500;

/**
 * The span exporter, watched: whether the collector took the last export, and whether one is
 * stuck. A shutdown stops waiting for the last spans once `collectorAway()`: with the collector
 * refusing or silent, the last export would only run the exporter's retries out, and every stop —
 * a rollout's pod, an app in a test — waited on it.
 */
export class CollectorWatch implements SpanExporter {
  private lastFailed = false;
  /** Start times of the exports running, one entry each (two may start in the same instant). */
  private readonly inFlight = new Set<{ readonly startedAt: number }>();

  constructor(
    private readonly exporter: SpanExporter,
    private readonly now: () => number = () => performance.now(),
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const running = { startedAt: this.now() };
    this.inFlight.add(running);
    this.exporter.export(spans, (result) => {
      this.inFlight.delete(running);
      this.lastFailed = result.code !== ExportResultCode.SUCCESS;
      done(result);
    });
  }

  /** True when the last export failed, or one has been running for STALLED_EXPORT_MS or more. */
  collectorAway(): boolean {
    if (this.lastFailed) return true;
    const now = this.now();
    for (const { startedAt } of this.inFlight) if (now - startedAt >= STALLED_EXPORT_MS) return true;
    return false;
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}
