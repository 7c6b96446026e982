import { type AppReading } from '../fleet/app-reading';
import { type FleetReading } from '../fleet/fleet-reader';

/** A connector (or an app without one) on the map, with what it is doing. */
export interface ConnectorNode {
  readonly kind: 'connector';
  readonly id: string;
  readonly name: string;
  readonly type: 'source' | 'transform' | 'sink' | 'app';
  readonly app: string;
  readonly state: string;
  readonly answering: boolean;
  readonly rate?: number;
  readonly total: number;
  readonly lag?: number;
  readonly deadLettered: number;
  readonly groups: readonly string[];
  readonly latency: { readonly p50?: number; readonly p99?: number };
  readonly lastError?: string;
  /** Left to right: sources 0, a topic one after its writers, a consumer one after its inputs. */
  readonly column: number;
}

export interface TopicNode {
  readonly kind: 'topic';
  readonly id: string;
  readonly name: string;
  readonly column: number;
}

export interface MapEdge {
  readonly from: string;
  readonly to: string;
  /**
   * Not reported by the writer: a topic nobody reports writing, attributed to the only source
   * (source-postgres's /status names its slot, not its topics).
   */
  readonly inferred?: boolean;
}

/** Sources → topics → transformers → topics → sinks, from what the running apps report. */
export interface PipelineMap {
  readonly at: string;
  readonly nodes: ReadonlyArray<ConnectorNode | TopicNode>;
  readonly edges: readonly MapEdge[];
}

const topicId = (name: string) => `topic:${name}`;

/**
 * The map of a fleet reading: one node per connector (its app's figures: rate, lag, dead letters,
 * latency), one per topic a connector reads or writes, edges in the direction records flow.
 */
export function pipelineMap(reading: FleetReading): PipelineMap {
  const connectors: Array<Omit<ConnectorNode, 'column'> & { inputs: string[]; outputs: string[] }> = [];
  for (const app of reading.apps) {
    const entries = app.connectors.length > 0 ? app.connectors : [undefined];
    for (const c of entries) connectors.push(nodeOf(app, c));
  }
  const edges: MapEdge[] = [];
  const topics = new Set<string>();
  for (const c of connectors) {
    for (const t of c.inputs) {
      topics.add(t);
      edges.push({ from: topicId(t), to: c.id });
    }
    for (const t of c.outputs) {
      topics.add(t);
      edges.push({ from: c.id, to: topicId(t) });
    }
  }
  // Topics read but written by no connector that says so: the only source's, when there is one.
  const sources = connectors.filter((c) => c.type === 'source');
  if (sources.length === 1) {
    const written = new Set(edges.filter((e) => e.to.startsWith('topic:')).map((e) => e.to));
    for (const t of topics)
      if (!written.has(topicId(t))) edges.push({ from: sources[0]!.id, to: topicId(t), inferred: true });
  }
  // Columns by the longest path from a node without inputs (a cycle, as in two-way sync, stops
  // after as many rounds as there are nodes).
  const column = new Map<string, number>();
  for (const c of connectors) column.set(c.id, 0);
  for (const t of topics) column.set(topicId(t), 1);
  for (let round = 0; round <= connectors.length + topics.size; round++) {
    let changed = false;
    for (const e of edges) {
      const next = column.get(e.from)! + 1;
      if (next > column.get(e.to)!) {
        column.set(e.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return {
    at: reading.at,
    nodes: [
      ...connectors.map(({ inputs: _i, outputs: _o, ...c }) => ({ ...c, column: column.get(c.id)! })),
      ...[...topics].sort().map((name) => ({
        kind: 'topic' as const,
        id: topicId(name),
        name,
        column: column.get(topicId(name))!,
      })),
    ],
    edges,
  };
}

function nodeOf(app: AppReading, connector: AppReading['connectors'][number] | undefined) {
  const f = app.figures;
  const offsetsTopics = (connector?.offsets?.partitions ?? []).map((p) => p.topic);
  const statusTopics = (connector?.status?.partitions ?? []).map((p) => p.topic);
  const type: ConnectorNode['type'] = connector?.type ?? 'app';
  const lastError =
    connector?.status?.lastError ??
    (typeof app.status?.lastError === 'string' ? app.status.lastError : undefined) ??
    app.error;
  return {
    kind: 'connector' as const,
    id: `connector:${app.url}/${connector?.name ?? ''}`,
    name: connector?.name ?? app.url,
    type,
    app: app.url,
    state: app.answering ? (connector?.state ?? 'UNKNOWN') : 'UNREACHABLE',
    answering: app.answering,
    ...(f.rate !== undefined ? { rate: f.rate } : {}),
    total: f.total,
    ...(f.lag !== undefined ? { lag: f.lag } : {}),
    deadLettered: f.deadLettered,
    groups: f.groups,
    latency: f.latency,
    ...(lastError !== undefined ? { lastError } : {}),
    inputs: type === 'source' ? [] : [...new Set([...f.inputTopics, ...offsetsTopics, ...statusTopics])],
    outputs: [...f.outputTopics],
  };
}
