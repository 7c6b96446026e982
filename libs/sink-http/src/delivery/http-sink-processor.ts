import { type ExpressionScope } from '@sluice/pipeline';
import {
  type OutputRecord,
  type ProcessContext,
  type RecordProcessor,
  type StreamRecord,
} from '@sluice/stream';
import { type RecordDecoding } from '../decoding/record-decoding';
import { type HttpDestination } from './http-destination';
import { RequestBatcher } from './request-batcher';

export interface HttpSinkProcessorOptions {
  readonly destinations: readonly HttpDestination[];
  readonly decoding: RecordDecoding;
  /** skip: a record with a null value (a tombstone) is not sent anywhere; deliver: it is, with value null. */
  readonly tombstones: 'skip' | 'deliver';
}

interface Route {
  readonly destination: HttpDestination;
  readonly topics?: ReadonlySet<string>;
  readonly batcher?: RequestBatcher;
}

/** Records not sent anywhere (tombstones skipped, no destination matched), and work in progress. */
export interface SkipCounters {
  readonly tombstonesSkipped: number;
  readonly unrouted: number;
  /** Records being decoded or delivered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
}

/**
 * The sink's work for one record, run by the StreamRuntime (which gives per-key order, retries of
 * retriable decode trouble, the DLQ and the offset commit after the work is done): decode
 * (KEY_/VALUE_CONVERTER), pick the destinations whose `topics` and `when` match (TRANSFORMATION),
 * render each request (TRANSFORMATION) and deliver it (TASK_PUT) — to all matching destinations at
 * once. It produces no Kafka records: the offset moves past the record only once every destination
 * answered 2xx or the record was dead-lettered.
 */
export class HttpSinkProcessor implements RecordProcessor {
  readonly name = 'HttpSink';
  private readonly routes: readonly Route[];
  private skipped = { tombstonesSkipped: 0, unrouted: 0 };
  private inFlight = 0;
  private maxInFlight = 0;

  constructor(private readonly options: HttpSinkProcessorOptions) {
    this.routes = options.destinations.map((destination) => {
      const { topics, batch } = destination.config;
      return {
        destination,
        ...(topics ? { topics: new Set(topics) } : {}),
        ...(batch.maxRecords > 1
          ? { batcher: new RequestBatcher(destination, batch.maxRecords, batch.lingerMs) }
          : {}),
      };
    });
  }

  skipCounters(): SkipCounters {
    return { ...this.skipped, inFlight: this.inFlight, maxInFlight: this.maxInFlight };
  }

  async process(record: StreamRecord, ctx: ProcessContext): Promise<readonly OutputRecord[]> {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    try {
      await this.processRecord(record, ctx);
      return [];
    } finally {
      this.inFlight--;
    }
  }

  private async processRecord(record: StreamRecord, ctx: ProcessContext): Promise<void> {
    if (record.value === null && this.options.tombstones === 'skip') {
      this.skipped.tombstonesSkipped++;
      return;
    }
    const scope = await this.options.decoding.scope(record, ctx);
    const routes = this.routes.filter((r) => !r.topics || r.topics.has(record.topic));
    const matching: Route[] = [];
    for (const route of routes) {
      const { destination } = route;
      if (
        await ctx.stage('TRANSFORMATION', `When(${destination.name})`, () =>
          destination.template.accepts(scope),
        )
      )
        matching.push(route);
    }
    if (matching.length === 0) {
      this.skipped.unrouted++;
      return;
    }
    if (matching.length === 1) {
      await this.deliver(matching[0]!, scope, ctx);
      return;
    }
    const results = await Promise.allSettled(matching.map((route) => this.deliver(route, scope, ctx)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return;
  }

  private async deliver(route: Route, scope: ExpressionScope, ctx: ProcessContext): Promise<void> {
    const { destination, batcher } = route;
    const request = await ctx.stage('TRANSFORMATION', `RequestTemplate(${destination.name})`, () =>
      destination.template.render(scope, !batcher),
    );
    if (batcher) {
      const body = await ctx.stage('TRANSFORMATION', `RequestTemplate(${destination.name})`, () =>
        destination.template.bodyText(scope),
      );
      await ctx.stage('TASK_PUT', `HttpDestination(${destination.name})`, () =>
        batcher.add(request, body, ctx.signal),
      );
      return;
    }
    await ctx.stage('TASK_PUT', `HttpDestination(${destination.name})`, () =>
      destination.deliver(request, ctx.signal),
    );
  }
}
