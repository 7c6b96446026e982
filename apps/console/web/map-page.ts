import { html, fmtRate, fmtSeconds, StateBadge } from './ui';
import { enc } from './api';

export interface MapNode {
  kind: 'connector' | 'topic';
  id: string;
  name: string;
  column: number;
  type?: string;
  state?: string;
  app?: string;
  rate?: number;
  total?: number;
  lag?: number;
  deadLettered?: number;
  groups?: string[];
  latency?: { p50?: number; p99?: number };
  lastError?: string;
}

export interface Overview {
  at: string;
  map: { nodes: MapNode[]; edges: Array<{ from: string; to: string }> };
  links: { jaeger?: string; prometheus?: string };
}

/** Sources → topics → transformers → topics → sinks, in columns, updated live. */
export function MapPage({ overview }: { overview?: Overview }) {
  if (!overview) return html`<p class="muted" aria-live="polite">Reading the apps…</p>`;
  const { nodes, edges } = overview.map;
  if (nodes.length === 0)
    return html`<p>
      No app to show: start the console with <code>sluice console --apps &lt;urls&gt;</code>.
    </p>`;
  const columns = new Map<number, MapNode[]>();
  for (const n of nodes) columns.set(n.column, [...(columns.get(n.column) ?? []), n]);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const inputsOf = (id: string) => edges.filter((e) => e.to === id).map((e) => byId.get(e.from)?.name);
  const outputsOf = (id: string) => edges.filter((e) => e.from === id).map((e) => byId.get(e.to)?.name);
  return html`<div>
    <h1>Pipeline map</h1>
    <p class="muted">
      Updated live · last read${' '}
      <time datetime=${overview.at}>${new Date(overview.at).toLocaleTimeString()}</time>
    </p>
    <ol class="map" aria-label="pipeline stages, left to right">
      ${[...columns.keys()]
        .sort((a, b) => a - b)
        .map(
          (c) =>
            html`<li class="map-column">
              <ul>
                ${columns.get(c)!.map((n) =>
                  n.kind === 'topic'
                    ? html`<li class="node topic"><a href=${`#/topics/${enc(n.name)}`}>${n.name}</a></li>`
                    : html`<li class=${`node connector type-${n.type}`} data-connector=${n.name}>
                        <div class="node-head">
                          <a href=${`#/connectors/${enc(n.name)}`}><strong>${n.name}</strong></a>
                          <${StateBadge} state=${n.state ?? 'UNKNOWN'} />
                        </div>
                        <div class="muted">${n.type} · ${n.app}</div>
                        <dl class="figures">
                          <div>
                            <dt>events/s</dt>
                            <dd class="rate">${fmtRate(n.rate)}</dd>
                          </div>
                          <div>
                            <dt>lag</dt>
                            <dd>${n.lag ?? '–'}</dd>
                          </div>
                          <div>
                            <dt>DLQ</dt>
                            <dd>${n.deadLettered ?? 0}</dd>
                          </div>
                          <div>
                            <dt>p50/p99</dt>
                            <dd>${fmtSeconds(n.latency?.p50)} / ${fmtSeconds(n.latency?.p99)}</dd>
                          </div>
                        </dl>
                        <div class="muted small">
                          ${[
                            inputsOf(n.id).length ? `reads ${inputsOf(n.id).join(', ')}` : '',
                            outputsOf(n.id).length ? `writes ${outputsOf(n.id).join(', ')}` : '',
                          ]
                            .filter((t) => t !== '')
                            .join(' · ')}
                        </div>
                        ${n.lastError ? html`<p class="error small">${n.lastError}</p>` : null}
                      </li>`,
                )}
              </ul>
            </li>`,
        )}
    </ol>
  </div>`;
}
