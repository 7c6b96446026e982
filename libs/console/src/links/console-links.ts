import { statusEntryStrings } from '../fleet/status-entries';

/** Where the console links out: Jaeger and Prometheus UIs, when configured. */
export interface ConsoleLinks {
  readonly jaeger?: string;
  readonly prometheus?: string;
}

/** A connector as the links need it: its kind, the Jaeger service its app traces as, its groups. */
export interface LinkedConnector {
  readonly name: string;
  readonly type: 'source' | 'transform' | 'sink';
  /** The app's `service.name` (its app name, e.g. sink-http, unless OTEL_SERVICE_NAME says otherwise). */
  readonly service?: string;
  /** The consumer groups its metrics name (a consumer's spans carry its group). */
  readonly groups: readonly string[];
  /**
   * A source other than source-postgres counts its own series: source-webhook's requests by
   * endpoint, source-http-poll's items by stream (see `nonCdcSource`).
   */
  readonly source?: NonCdcSource;
}

/** What a webhook or polling source's throughput link needs: which of its series, which names. */
export type NonCdcSource =
  | { readonly kind: 'webhook'; readonly endpoints: readonly string[] }
  | { readonly kind: 'poll'; readonly streams: readonly string[] };

/**
 * source-webhook's and source-http-poll's series, told apart by their `/status` (its `endpoints`
 * or `streams`, each named); undefined for any other app.
 */
export function nonCdcSource(
  status: Readonly<Record<string, unknown>> | undefined,
): NonCdcSource | undefined {
  const endpoints = statusEntryStrings(status, 'endpoints', 'name');
  if (endpoints !== undefined) return { kind: 'webhook', endpoints };
  const streams = statusEntryStrings(status, 'streams', 'name');
  return streams !== undefined ? { kind: 'poll', streams } : undefined;
}

// The span attribute the stream runtime sets on every consumed record's span (libs/stream).
const GROUP_ATTRIBUTE = 'messaging.consumer.group.name';

/**
 * Builds the console's links into Jaeger (a connector's traces: its app's service, its consumer
 * group as a tag; a record's trace by id) and Prometheus (a connector's throughput, by group for
 * consumers, by source for sources). Pure: the controller hands it what the apps reported.
 */
export class ConsoleLinkBuilder {
  private readonly jaeger: string | undefined;
  private readonly prometheus: string | undefined;

  constructor(links: ConsoleLinks) {
    this.jaeger = links.jaeger?.replace(/\/$/, '');
    this.prometheus = links.prometheus?.replace(/\/$/, '');
  }

  global(): ConsoleLinks {
    return {
      ...(this.jaeger ? { jaeger: this.jaeger } : {}),
      ...(this.prometheus ? { prometheus: this.prometheus } : {}),
    };
  }

  connector(c: LinkedConnector): { readonly traces?: string; readonly metrics?: string } {
    return {
      ...(this.jaeger ? { traces: this.traceSearch(c) } : {}),
      ...(this.prometheus ? { metrics: this.graph(c) } : {}),
    };
  }

  /** A record's trace (its `traceparent` header's trace id). */
  trace(traceId: string): string | undefined {
    return this.jaeger ? `${this.jaeger}/trace/${traceId}` : undefined;
  }

  private traceSearch(c: LinkedConnector): string {
    const query = new URLSearchParams();
    const service = c.service ?? (c.type === 'transform' ? 'transformer' : undefined);
    if (service) query.set('service', service);
    if (c.groups.length === 1) query.set('tags', JSON.stringify({ [GROUP_ATTRIBUTE]: c.groups[0] }));
    query.set('lookback', '1h');
    return `${this.jaeger}/search?${query.toString()}`;
  }

  private graph(c: LinkedConnector): string {
    const expr = throughputQuery(c);
    return `${this.prometheus}/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '0' }).toString()}`;
  }
}

/** The PromQL of a connector's throughput: the series its kind of app counts, narrowed to it. */
function throughputQuery(c: LinkedConnector): string {
  const quoted = (v: string) => JSON.stringify(v);
  const anyOf = (values: readonly string[]) => quoted(values.map(escapeRegex).join('|'));
  if (c.source?.kind === 'webhook')
    return `sum by (endpoint) (rate(sluice_webhook_requests_total{endpoint=~${anyOf(c.source.endpoints)},outcome="accepted"}[1m]))`;
  if (c.source?.kind === 'poll')
    return `sum by (stream) (rate(sluice_http_poll_items_total{stream=~${anyOf(c.source.streams)},outcome="published"}[1m]))`;
  if (c.type === 'source')
    return `sum by (source) (rate(sluice_source_events_total{source=${quoted(c.name)}}[1m]))`;
  if (c.groups.length > 0)
    return `sum by (group, topic) (rate(sluice_stream_records_total{group=~${anyOf(c.groups)}}[1m]))`;
  return `sum by (group, topic) (rate(sluice_stream_records_total[1m]))`;
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
