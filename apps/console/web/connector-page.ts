import { useState } from 'preact/hooks';
import { enc, get, post } from './api';
import { type Overview } from './map-page';
import { ErrorNote, fmtRate, html, Loading, Section, StateBadge, useLoad } from './ui';

interface ConnectorDetail {
  app: string;
  connector: {
    name: string;
    type: string;
    state: string;
    status?: { workerId: string; lastError?: string };
    offsets?: {
      partitions?: Array<{
        topic: string;
        partition: number;
        committedOffset?: string;
        endOffset?: string;
        lag?: string;
      }>;
      source?: Record<string, unknown>;
    };
  };
  figures: { rate?: number; total: number; lag?: number; deadLettered: number; groups: string[] };
  appStatus?: Record<string, unknown>;
  links: { traces?: string; metrics?: string };
}

/** One connector: state, partitions with offsets and lag, errors, its app's status; pause, resume, restart. */
export function ConnectorPage({ name, overview }: { name: string; overview?: Overview }) {
  const [detail, error, reload] = useLoad(
    () => get<ConnectorDetail>(`/api/connectors/${enc(name)}`),
    [name, overview?.at],
  );
  const [acting, setActing] = useState<string | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const act = async (action: string) => {
    setActing(action);
    setActionError(undefined);
    try {
      await post(`/api/connectors/${enc(name)}/${action}`);
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setActing(undefined);
    }
  };
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!detail) return html`<${Loading} what=${name} />`;
  const { connector, figures } = detail;
  const state = connector.state;
  return html`<div>
    <h1>${connector.name} <${StateBadge} state=${state} /></h1>
    <p class="muted">${connector.type} on ${detail.app}${connector.status ? ` · worker ${connector.status.workerId}` : ''}</p>
    <div class="actions" role="group" aria-label="connector actions">
      <button type="button" onClick=${() => act('pause')} disabled=${acting !== undefined || state === 'PAUSED'}>Pause</button>
      <button type="button" onClick=${() => act('resume')} disabled=${acting !== undefined || state !== 'PAUSED'}>Resume</button>
      <button type="button" onClick=${() => act('restart')} disabled=${acting !== undefined}>Restart</button>
      ${acting ? html`<span aria-live="polite">${acting}…</span>` : null}
      ${detail.links.traces ? html`<a href=${detail.links.traces} target="_blank" rel="noreferrer">Traces in Jaeger</a>` : null}
      ${detail.links.metrics ? html`<a href=${detail.links.metrics} target="_blank" rel="noreferrer">Metrics in Prometheus</a>` : null}
    </div>
    <${ErrorNote} error=${actionError} />
    <dl class="figures wide">
      <div><dt>events/s</dt><dd>${fmtRate(figures.rate)}</dd></div>
      <div><dt>total</dt><dd>${figures.total}</dd></div>
      <div><dt>lag</dt><dd data-testid="lag">${figures.lag ?? '–'}</dd></div>
      <div><dt>dead letters</dt><dd>${figures.deadLettered}</dd></div>
      <div><dt>groups</dt><dd>${figures.groups.map((g) => html`<a href=${`#/dead-letters/${enc(g)}`}>${g}</a> `)}</dd></div>
    </dl>
    ${
      connector.status?.lastError
        ? html`<${Section} title="Last error"><pre class="error">${connector.status.lastError}</pre></${Section}>`
        : null
    }
    ${
      connector.offsets?.partitions
        ? html`<${Section} title="Partitions">
          <div class="scroll"><table>
            <thead><tr><th scope="col">topic</th><th scope="col">partition</th><th scope="col">committed</th><th scope="col">end</th><th scope="col">lag</th></tr></thead>
            <tbody>
              ${connector.offsets.partitions.map(
                (p) =>
                  html`<tr>
                    <td><a href=${`#/topics/${enc(p.topic)}`}>${p.topic}</a></td>
                    <td>${p.partition}</td>
                    <td>${p.committedOffset ?? '–'}</td>
                    <td>${p.endOffset ?? '–'}</td>
                    <td>${p.lag ?? '–'}</td>
                  </tr>`,
              )}
            </tbody>
          </table></div>
        </${Section}>`
        : null
    }
    ${
      connector.offsets?.source
        ? html`<${Section} title="Source position"><pre>${JSON.stringify(connector.offsets.source, null, 2)}</pre></${Section}>`
        : null
    }
    ${connector.type === 'source' ? html`<${SnapshotForm} name=${name} source=${connector.offsets?.source} />` : null}
    <${Section} title="Status and configuration (secrets masked)">
      <details><summary>The app's /status</summary><pre>${JSON.stringify(detail.appStatus ?? {}, null, 2)}</pre></details>
    </${Section}>
  </div>`;
}

/** A source's incremental snapshot: request tables, follow the progress the source reports. */
function SnapshotForm({ name, source }: { name: string; source?: Record<string, unknown> }) {
  const [tables, setTables] = useState('');
  const [answer, setAnswer] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const snapshot = source?.snapshot as { kind: string; rowsDone: number; rowsTotal: number } | undefined;
  const request = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setAnswer(undefined);
    try {
      const list = tables
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      const result = await post<{ signalId: string; tables: string[] }>(
        `/api/connectors/${enc(name)}/snapshots`,
        {
          tables: list,
        },
      );
      setAnswer(`incremental snapshot of ${result.tables.join(', ')} requested (signal ${result.signalId})`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return html`<${Section} title="Incremental snapshot">
    ${
      snapshot
        ? html`<p role="status" aria-label="snapshot progress">
            ${snapshot.kind} snapshot: ${snapshot.rowsDone} of ${snapshot.rowsTotal} row(s)
            <progress
              max=${snapshot.rowsTotal}
              value=${snapshot.rowsDone}
              aria-label="snapshot progress bar"
            ></progress>
          </p>`
        : html`<p class="muted">No snapshot running.</p>`
    }
    <form class="inline" onSubmit=${request}>
      <label>Tables (schema.table, comma-separated) <input value=${tables} onInput=${(e: Event) => setTables((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" disabled=${tables.trim() === ''}>Request snapshot</button>
    </form>
    ${answer ? html`<p role="status">${answer}</p>` : null}
    <${ErrorNote} error=${error} />
  </${Section}>`;
}
