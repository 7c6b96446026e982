import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
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

const headerGetter: TextMapGetter<readonly MessageHeader[]> = {
  keys: (headers) => headers.map((h) => h.key),
  get: (headers, key) => {
    // The last one wins, as Kafka's lastHeader.
    for (let i = headers.length - 1; i >= 0; i--) {
      if (headers[i]!.key === key) return headers[i]!.value?.toString('latin1');
    }
    return undefined;
  },
};

const mapSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The W3C context of a span as header values (`traceparent`, maybe `tracestate`). */
export function traceContextHeaders(span: TraceSpan): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(span.context, carrier, mapSetter);
  return carrier;
}

/**
 * `headers` with the trace context of `span` in place of any earlier one (the input's traceparent
 * that a processor passed through): the next hop's span becomes a child of this one.
 */
export function withTraceContext(
  headers: readonly MessageHeader[] | undefined,
  span: TraceSpan,
): MessageHeader[] {
  const out: MessageHeader[] = [];
  for (const h of headers ?? []) {
    if (h.key !== TRACEPARENT_HEADER && h.key !== TRACESTATE_HEADER) out.push(h);
  }
  for (const [key, value] of Object.entries(traceContextHeaders(span)))
    out.push({ key, value: Buffer.from(value, 'latin1') });
  return out;
}

/** A started span and the context it makes current. Vendor types stay inside. */
export class TraceSpan {
  constructor(
    private readonly span: Span,
    readonly context: Context,
  ) {}

  /** Runs `work` with this span current (HTTP client spans and child spans attach to it). */
  run<T>(work: () => T): T {
    return context.with(this.context, work);
  }

  setAttributes(attributes: Attributes): void {
    if (this.span.isRecording()) this.span.setAttributes(attributes);
  }

  /** Ends the span; an error marks it failed. */
  end(error?: unknown): void {
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

  /** A root span (a captured transaction); sampling decides here for the whole trace. */
  root(name: string, attributes: Attributes): TraceSpan {
    const span = this.tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, attributes, root: true },
      ROOT_CONTEXT,
    );
    return new TraceSpan(span, trace.setSpan(ROOT_CONTEXT, span));
  }

  /** A producer span `send <topic>` under `parent`; its context goes into the record's headers. */
  send(parent: TraceSpan, topic: string, attributes: Attributes = {}): TraceSpan {
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
    return new TraceSpan(span, trace.setSpan(parent.context, span));
  }

  /**
   * A consumer span `process <topic>` for one record of `group`, child of the context in the record's
   * headers (a new root, sampled by ratio, when it has none).
   */
  process(message: ConsumedMessage, group: string): TraceSpan {
    const parent = propagation.extract(ROOT_CONTEXT, message.headers, headerGetter);
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
    const span = this.tracer.startSpan(
      `process ${message.topic}`,
      { kind: SpanKind.CONSUMER, attributes },
      parent,
    );
    return new TraceSpan(span, trace.setSpan(parent, span));
  }
}
