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
    const quoted = (v: string) => JSON.stringify(v);
    const expr =
      c.type === 'source'
        ? `sum by (source) (rate(sluice_source_events_total{source=${quoted(c.name)}}[1m]))`
        : c.groups.length > 0
          ? `sum by (group, topic) (rate(sluice_stream_records_total{group=~${quoted(c.groups.map(escapeRegex).join('|'))}}[1m]))`
          : `sum by (group, topic) (rate(sluice_stream_records_total[1m]))`;
    return `${this.prometheus}/graph?${new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '0' }).toString()}`;
  }
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
