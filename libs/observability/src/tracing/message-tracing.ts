import {
  type Attributes,
  type Context,
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import {
  MESSAGING_CONSUMER_GROUP_NAME,
  MESSAGING_DESTINATION_NAME,
  MESSAGING_DESTINATION_PARTITION_ID,
  MESSAGING_KAFKA_MESSAGE_KEY,
  MESSAGING_KAFKA_MESSAGE_TOMBSTONE,
  MESSAGING_KAFKA_OFFSET,
  MESSAGING_OPERATION_NAME,
  MESSAGING_OPERATION_TYPE,
  MESSAGING_SYSTEM,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './span-attributes';
import { telemetry } from './telemetry';

/** A Kafka header as Sluice keeps them (the stream runtime's RecordHeader has this shape). */
export interface MessageHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** What a consumer span describes: one consumed record. */
export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly MessageHeader[];
}

// W3C trace context, version 00: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>. Written and
// read here directly (not through the global propagator): it runs per record, and the composite
// propagator's generic carrier handling and baggage pass cost more than the record's own work.
const TRACEPARENT_LENGTH = 55;
const DASH = 0x2d;

function lastHeader(headers: readonly MessageHeader[], key: string): MessageHeader | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i];
  return undefined;
}

/** 1 at the code of each lower-case hex digit. */
const LOWER_HEX = new Uint8Array(256);
for (const digit of '0123456789abcdef') LOWER_HEX[digit.charCodeAt(0)] = 1;
const ZERO = 0x30;

/**
 * The record's `traceparent` header when it is well formed (version 00, lower-case hex ids, neither
 * all zeros), checked on its bytes: no string is made here. Every record pays for this check, so
 * it is one pass with no data-dependent branch per digit (a table lookup, and an OR that stays 0
 * for an all-zero id): about half the time of testing each digit's range.
 */
function validTraceparent(headers: readonly MessageHeader[]): MessageHeader | undefined {
  const header = lastHeader(headers, TRACEPARENT_HEADER);
  const raw = header?.value;
  if (!raw || raw.length !== TRACEPARENT_LENGTH) return undefined;
  if (raw[0] !== ZERO || raw[1] !== ZERO || raw[2] !== DASH || raw[35] !== DASH || raw[52] !== DASH)
    return undefined;
  let hex = LOWER_HEX[raw[53]!]! & LOWER_HEX[raw[54]!]!;
  let traceId = 0;
  for (let i = 3; i < 35; i++) {
    const c = raw[i]!;
    hex &= LOWER_HEX[c]!;
    traceId |= c ^ ZERO;
  }
  let spanId = 0;
  for (let i = 36; i < 52; i++) {
    const c = raw[i]!;
    hex &= LOWER_HEX[c]!;
    spanId |= c ^ ZERO;
  }
  return hex === 1 && traceId !== 0 && spanId !== 0 ? header : undefined;
}

/** The sampled bit of a valid traceparent's flags (the low bit of its last hex digit). */
function sampledFlag(raw: Buffer): boolean {
  const digit = raw[54]!;
  return ((digit <= 0x39 ? digit - 0x30 : digit - 0x57) & TraceFlags.SAMPLED) !== 0;
}

/** The remote span context of a valid traceparent header (and its tracestate, if any). */
function remoteContext(traceparent: MessageHeader, state: MessageHeader | undefined): SpanContext {
  const raw = traceparent.value!;
  return {
    traceId: raw.toString('latin1', 3, 35),
    spanId: raw.toString('latin1', 36, 52),
    traceFlags: sampledFlag(raw) ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
    ...(state?.value ? { traceState: createTraceState(state.value.toString('latin1')) } : {}),
  };
}

/** The W3C context of `span` as header values: `traceparent`, and `tracestate` when it has one. */
function contextValues(span: SpanContext): Record<string, string> {
  const flags = span.traceFlags & TraceFlags.SAMPLED ? '01' : '00';
  const values: Record<string, string> = {
    [TRACEPARENT_HEADER]: `00-${span.traceId}-${span.spanId}-${flags}`,
  };
  const state = span.traceState?.serialize();
  if (state) values[TRACESTATE_HEADER] = state;
  return values;
}

/** The W3C context of a span as header values (`traceparent`, maybe `tracestate`). */
export function traceContextHeaders(span: TraceSpan): Record<string, string> {
  return span.headerValues();
}

/**
 * `headers` with the trace context of `span` in place of any earlier one (the input's traceparent
 * that a processor passed through): the next hop continues this span's trace.
 */
export function withTraceContext(
  headers: readonly MessageHeader[] | undefined,
  span: TraceSpan,
): readonly MessageHeader[] {
  if (headers !== undefined && carriesExactly(headers, span.headers())) return headers;
  const out: MessageHeader[] = [];
  for (const h of headers ?? []) {
    if (h.key !== TRACEPARENT_HEADER && h.key !== TRACESTATE_HEADER) out.push(h);
  }
  out.push(...span.headers());
  return out;
}

/**
 * True when `headers` already hold exactly `context` as their trace context (the same header
 * objects, each the only one of its key): an unsampled record's outputs that passed its headers
 * through need no copy.
 */
function carriesExactly(headers: readonly MessageHeader[], context: readonly MessageHeader[]): boolean {
  let found = 0;
  for (const h of headers) {
    if (h.key !== TRACEPARENT_HEADER && h.key !== TRACESTATE_HEADER) continue;
    if (!context.includes(h)) return false;
    found++;
  }
  return found === context.length;
}

/**
 * A started span, or an unsampled trace followed without one. The followed kind is what most records
 * are at a low ratio, so it costs two small objects: its span context and OpenTelemetry context are
 * made only when asked for (an HTTP call traced under it), and its headers are the parent's own.
 */
export class TraceSpan {
  private contextHeaders: MessageHeader[] | undefined;
  private otelContext: Context | undefined;
  private remote: SpanContext | undefined;

  private constructor(
    private readonly span: Span | undefined,
    /** Followed: the parent's traceparent (and tracestate) headers, carried on unchanged. */
    private readonly carried: readonly MessageHeader[] | undefined,
    /** Started: the context the span was started in; its own context is made when first asked for. */
    private readonly parentContext: Context | undefined,
  ) {
    if (span !== undefined) this.remote = span.spanContext();
  }

  /** A started span under `parent`. */
  static started(span: Span, parent: Context): TraceSpan {
    return new TraceSpan(span, undefined, parent);
  }

  /** An unsampled parent followed without a span: `carried` goes on to the outputs unchanged. */
  static followed(traceparent: MessageHeader, tracestate: MessageHeader | undefined): TraceSpan {
    return new TraceSpan(undefined, tracestate?.value ? [traceparent, tracestate] : [traceparent], undefined);
  }

  /**
   * A new trace the sampler left out, without a span: its outputs carry its unsampled context, so
   * the next hop follows the decision instead of making its own.
   */
  static unsampledRoot(traceId: string, spanId: string): TraceSpan {
    const traceparent = Buffer.from(`00-${traceId}-${spanId}-00`, 'latin1');
    return TraceSpan.followed({ key: TRACEPARENT_HEADER, value: traceparent }, undefined);
  }

  private get spanContext(): SpanContext {
    return (this.remote ??= remoteContext(this.carried![0]!, this.carried![1]));
  }

  /** The OpenTelemetry context with this span (or the followed parent) current. */
  get context(): Context {
    return (this.otelContext ??=
      this.span !== undefined
        ? trace.setSpan(this.parentContext ?? ROOT_CONTEXT, this.span)
        : trace.setSpanContext(ROOT_CONTEXT, this.spanContext));
  }

  /**
   * Runs `work` with this span current (HTTP client spans and child spans attach to it). An
   * unsampled record's work (a followed parent, or a root the sampler left out) runs in its context
   * only where HTTP calls are traced (so they do not start traces of their own); elsewhere nothing
   * would attach to it.
   */
  run<T>(work: () => T): T {
    if (!this.span?.isRecording() && !telemetry().httpClientSpans) return work();
    return context.with(this.context, work);
  }

  /** An unsampled trace followed (or begun) without a span. */
  get spanless(): boolean {
    return this.span === undefined;
  }

  /** True when this record's trace is sampled (its spans are recorded and exported). */
  get sampled(): boolean {
    if (this.span === undefined) return false; // followed: only unsampled parents are
    return (this.spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
  }

  /** The headers that carry this span's context to the next hop (computed once). */
  headers(): readonly MessageHeader[] {
    return (
      this.carried ??
      (this.contextHeaders ??= Object.entries(contextValues(this.spanContext)).map(([key, value]) => ({
        key,
        value: Buffer.from(value, 'latin1'),
      })))
    );
  }

  /** The same context as header values (`traceparent`, maybe `tracestate`), for a new record. */
  headerValues(): Record<string, string> {
    if (this.carried === undefined) return contextValues(this.spanContext);
    const values: Record<string, string> = {};
    for (const { key, value } of this.carried) values[key] = value!.toString('latin1');
    return values;
  }

  setAttributes(attributes: Attributes): void {
    if (this.span?.isRecording()) this.span.setAttributes(attributes);
  }

  /** Ends the span; an error marks it failed. */
  end(error?: unknown): void {
    if (this.span === undefined) return;
    if (error !== undefined && this.span.isRecording()) {
      this.span.recordException(error instanceof Error ? error : String(error));
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
    }
    this.span.end();
  }
}

/**
 * Spans for Kafka records with the messaging semantic conventions, the context carried in record
 * headers. One per component (the tracer's name says which library made the span).
 */
export class MessageTracing {
  private readonly tracer: Tracer;

  constructor(scope: string) {
    this.tracer = trace.getTracer(scope);
  }

  /**
   * A root span (a captured transaction); sampling decides here for the whole trace. Most roots are
   * not sampled at a low ratio, so `attributes` are made only for a recording span, after the
   * decision (the ratio and parent-based samplers decide on the trace id alone). In ROOT_CONTEXT
   * already: the SDK's `root` option would copy the context to remove a span it does not hold.
   */
  root(name: string, attributes: () => Attributes): TraceSpan {
    const span = this.newTrace(name, SpanKind.INTERNAL);
    if (span instanceof TraceSpan) return span;
    if (span.isRecording()) span.setAttributes(attributes());
    return this.started(span, ROOT_CONTEXT);
  }

  /**
   * The span of a new trace, or, when Sluice's sampler leaves it out, its context alone (no span:
   * most new traces at a low ratio; see RootSampling).
   */
  private newTrace(name: string, kind: SpanKind): Span | TraceSpan {
    const roots = telemetry().rootSampling;
    if (roots === undefined) return this.tracer.startSpan(name, { kind }, ROOT_CONTEXT);
    const { traceId, sampled } = roots.draw();
    if (!sampled) return TraceSpan.unsampledRoot(traceId, roots.generateSpanId());
    return roots.startWith(traceId, () => this.tracer.startSpan(name, { kind }, ROOT_CONTEXT));
  }

  /**
   * A producer span `send <topic>` under `parent`; its context goes into the record's headers. An
   * unsampled trace followed without a span stays so: `parent` itself, whose context the record
   * carries on (a span under it would not be recorded).
   */
  send(parent: TraceSpan, topic: string, attributes: Attributes = {}): TraceSpan {
    if (parent.spanless) return parent;
    const span = this.tracer.startSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [MESSAGING_SYSTEM]: 'kafka',
          [MESSAGING_OPERATION_TYPE]: 'send',
          [MESSAGING_OPERATION_NAME]: 'send',
          [MESSAGING_DESTINATION_NAME]: topic,
          ...attributes,
        },
      },
      parent.context,
    );
    return this.started(span, parent.context);
  }

  /**
   * A consumer span `process <topic>` for one record of `group`, child of the context in the record's
   * headers (a new root, sampled by ratio, when it has none).
   *
   * A parent that was not sampled is followed without making a span (parent-based sampling would
   * make a non-recording one), and the outputs carry the parent's headers on. Where HTTP calls are
   * traced, the work runs in the parent's context (`TraceSpan.run`), so they stay unsampled too.
   * That is most records at a low ratio: it costs a check of the header's bytes and, elsewhere, no
   * span, string or context.
   */
  process(message: ConsumedMessage, group: string): TraceSpan {
    const traceparent = validTraceparent(message.headers);
    const state = traceparent && lastHeader(message.headers, TRACESTATE_HEADER);
    if (traceparent && !sampledFlag(traceparent.value!)) return TraceSpan.followed(traceparent, state);
    // Attributes after the decision, as for a root: a record without a parent is a new root, and
    // at a low ratio most of those are not sampled.
    const name = `process ${message.topic}`;
    const parentContext = traceparent
      ? trace.setSpanContext(ROOT_CONTEXT, remoteContext(traceparent, state))
      : ROOT_CONTEXT;
    const span = traceparent
      ? this.tracer.startSpan(name, { kind: SpanKind.CONSUMER }, parentContext)
      : this.newTrace(name, SpanKind.CONSUMER);
    if (span instanceof TraceSpan) return span;
    if (span.isRecording()) span.setAttributes(processAttributes(message, group));
    return this.started(span, parentContext);
  }

  /**
   * A write that makes several records durable at once (a sink's database transaction): one client
   * span `name` under each sampled record's span, so each record's trace ends with the write that
   * committed it. Nothing is made for unsampled records. End it when the write is done.
   */
  write(records: readonly TraceSpan[], name: string, attributes: Attributes): { end(error?: unknown): void } {
    const spans: TraceSpan[] = [];
    for (const record of records) {
      if (!record.sampled) continue;
      const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, record.context);
      spans.push(TraceSpan.started(span, record.context));
    }
    return { end: (error?: unknown) => spans.forEach((span) => span.end(error)) };
  }

  private started(span: Span, parent: Context): TraceSpan {
    return TraceSpan.started(span, parent);
  }
}

/** The messaging attributes of a consumer span for one record of `group`. */
function processAttributes(message: ConsumedMessage, group: string): Attributes {
  const attributes: Attributes = {
    [MESSAGING_SYSTEM]: 'kafka',
    [MESSAGING_OPERATION_TYPE]: 'process',
    [MESSAGING_OPERATION_NAME]: 'process',
    [MESSAGING_DESTINATION_NAME]: message.topic,
    [MESSAGING_DESTINATION_PARTITION_ID]: String(message.partition),
    [MESSAGING_KAFKA_OFFSET]: Number(message.offset),
    [MESSAGING_CONSUMER_GROUP_NAME]: group,
  };
  if (message.value === null) attributes[MESSAGING_KAFKA_MESSAGE_TOMBSTONE] = true;
  if (telemetry().recordKeys && message.key !== null)
    attributes[MESSAGING_KAFKA_MESSAGE_KEY] = message.key.toString('base64');
  return attributes;
}
