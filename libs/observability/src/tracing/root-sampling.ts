import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type IdGenerator,
  ParentBasedSampler,
  RandomIdGenerator,
  type Sampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

/**
 * New traces decided before any span is made, for Sluice's own parent-based ratio sampler.
 *
 * At a low ratio most new traces (a captured transaction, a webhook, a record without a parent) are
 * not sampled. Through the SDK each still cost a non-recording span, the sampler's pass and its
 * context (~6 % of source-postgres's CPU in the pipeline bench); here an unsampled one is two ids
 * and a `traceparent`. A sampled one is started by the SDK on the trace id already drawn: this is
 * also the provider's id generator and hands that id over, and the ratio sampler decides on the
 * trace id alone, so the SDK's decision is the same one: `sampler` (the provider's) is built on
 * the same ratio sampler.
 */
export class RootSampling implements IdGenerator {
  private readonly ratio: TraceIdRatioBasedSampler;
  private readonly random = new RandomIdGenerator();
  private preset: string | undefined;
  /** The provider's sampler: a sampled parent's decision, else this ratio on new traces. */
  readonly sampler: Sampler;

  constructor(ratio: number) {
    this.ratio = new TraceIdRatioBasedSampler(ratio);
    this.sampler = new ParentBasedSampler({ root: this.ratio });
  }

  /** A new trace id, and whether its trace is sampled. */
  draw(): { readonly traceId: string; readonly sampled: boolean } {
    const traceId = this.random.generateTraceId();
    const { decision } = this.ratio.shouldSample(ROOT_CONTEXT, traceId);
    return { traceId, sampled: decision === SamplingDecision.RECORD_AND_SAMPLED };
  }

  /** Runs `start` (which starts a root span) with `traceId` as the id the SDK draws for it. */
  startWith<T>(traceId: string, start: () => T): T {
    this.preset = traceId;
    try {
      return start();
    } finally {
      this.preset = undefined;
    }
  }

  generateTraceId(): string {
    const preset = this.preset;
    this.preset = undefined;
    return preset ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}
