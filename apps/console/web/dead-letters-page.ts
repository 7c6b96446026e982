import { useState } from 'preact/hooks';
import { enc, get, post } from './api';
import { Bytes, ErrorNote, html, Loading, Section, useLoad } from './ui';

interface Letter {
  id: string;
  timestamp: string;
  origin: string | null;
  errorClass: string;
  message?: string;
  attempts?: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string | string[]>;
  redrivenBy: string[];
}

interface View {
  group: string;
  topic: string;
  total: number;
  summary: {
    total: number;
    parkedKeys: number;
    byErrorClass: Array<{ errorClass: string; count: number; oldest: number; newest: number }>;
  };
  deadLetters: Letter[];
}

interface RedrivePlan {
  id: string;
  dryRun: boolean;
  published: number;
  copies: Array<{ deadLetter: string; target: string; of: string; errorClass: string }>;
  releases: Array<{ topic: string; partition: number; records: number }>;
  skipped: { alreadyRedriven: number; noOrigin: number; cut: number };
}

export function DeadLetterGroups() {
  const [groups, error] = useLoad(() => get<{ groups: string[] }>('/api/dead-letters'), []);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!groups) return html`<${Loading} what="dead-letter topics" />`;
  return html`<div>
    <h1>Dead letters</h1>
    ${
      groups.groups.length === 0
        ? html`<p>No consumer group has a dead-letter topic.</p>`
        : html`<ul class="list">
            ${groups.groups.map((g) => html`<li><a href=${`#/dead-letters/${enc(g)}`}>${g}</a></li>`)}
          </ul>`
    }
  </div>`;
}

function age(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 90
    ? `${s.toFixed(0)} s`
    : s < 5400
      ? `${(s / 60).toFixed(0)} min`
      : `${(s / 3600).toFixed(1)} h`;
}

/** A group's dead letters by error class, decoded; redrive (dry run first) and purge, audited. */
// W3C trace context: the dead letter keeps the failed record's traceparent header.
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

function traceLink(headers: Letter['headers'], jaeger: string | undefined) {
  const header = headers.traceparent;
  const trace = TRACEPARENT.exec(Array.isArray(header) ? (header[0] ?? '') : (header ?? ''));
  if (!trace || !jaeger) return null;
  return html`<a href=${`${jaeger.replace(/\/$/, '')}/trace/${trace[1]}`} target="_blank" rel="noreferrer"
    >its trace in Jaeger</a
  >`;
}

export function DeadLettersPage({ group, jaeger }: { group: string; jaeger?: string }) {
  const [view, error, reload] = useLoad(() => get<View>(`/api/dead-letters/${enc(group)}`), [group]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [plan, setPlan] = useState<RedrivePlan | undefined>();
  const [purgePlan, setPurgePlan] = useState<{ deleted: number; dryRun: boolean } | undefined>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | undefined>();
  const run = async <T>(work: () => Promise<T>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      return await work();
    } catch (e) {
      setActionError((e as Error).message);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const ids = () => (selected.size > 0 ? { ids: [...selected] } : {});
  const redrive = (dryRun: boolean) =>
    run(async () => {
      const result = await post<RedrivePlan>(`/api/dead-letters/${enc(group)}/redrive`, { ...ids(), dryRun });
      setPlan(result);
      if (!dryRun) {
        setSelected(new Set());
        reload();
      }
    });
  const purge = (dryRun: boolean) =>
    run(async () => {
      const result = await post<{ deleted: number; dryRun: boolean }>(
        `/api/dead-letters/${enc(group)}/purge`,
        { dryRun },
      );
      setPurgePlan(result);
      if (!dryRun) reload();
    });
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!view) return html`<${Loading} what=${`dead letters of ${group}`} />`;
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  return html`<div>
    <h1>Dead letters of ${group}</h1>
    <p class="muted">${view.topic}: ${view.summary.total} waiting (${view.total} in the topic, redriven ones included) · ${view.summary.parkedKeys} key(s) parked</p>
    <${Section} title="By error class">
      <table>
        <thead><tr><th scope="col">error class</th><th scope="col">count</th><th scope="col">oldest</th><th scope="col">newest</th></tr></thead>
        <tbody>${view.summary.byErrorClass.map(
          (c) =>
            html`<tr>
              <td>${c.errorClass}</td>
              <td>${c.count}</td>
              <td>${age(c.oldest)}</td>
              <td>${age(c.newest)}</td>
            </tr>`,
        )}</tbody>
      </table>
    </${Section}>
    <div class="actions" role="group" aria-label="dead-letter actions">
      <button type="button" disabled=${busy} onClick=${reload}>Refresh</button>
      <button type="button" disabled=${busy || view.deadLetters.length === 0} onClick=${() => redrive(true)}>
        Dry-run redrive ${selected.size > 0 ? `(${selected.size} selected)` : '(all)'}
      </button>
      <button type="button" disabled=${busy || !plan || !plan.dryRun || plan.copies.length === 0} onClick=${() => redrive(false)}>Redrive</button>
      <button type="button" disabled=${busy} onClick=${() => purge(true)}>Dry-run purge</button>
      <button type="button" class="danger" disabled=${busy || !purgePlan?.dryRun} onClick=${() => purge(false)}>Purge</button>
    </div>
    <${ErrorNote} error=${actionError} />
    ${
      plan
        ? html`<div class="card" role="status" aria-label="redrive plan">
            <strong
              >${plan.dryRun ? `Dry run: ${plan.copies.length} record(s) would be published` : `Redrive ${plan.id}: published ${plan.published} record(s)`}</strong
            >
            <ul>
              ${plan.copies.map((c) => html`<li>${c.deadLetter} (${c.errorClass}) → ${c.target}, original ${c.of}</li>`)}
            </ul>
            ${plan.releases.length ? html`<p>Releases ${plan.releases.length} parked key(s).</p>` : null}
            ${
              plan.skipped.alreadyRedriven + plan.skipped.noOrigin + plan.skipped.cut > 0
                ? html`<p class="muted">
                    Skipped: ${plan.skipped.alreadyRedriven} already redriven, ${plan.skipped.noOrigin}
                    without an original topic, ${plan.skipped.cut} cut to fit the DLQ topic.
                  </p>`
                : null
            }
          </div>`
        : null
    }
    ${
      purgePlan
        ? html`<div class="card" role="status" aria-label="purge plan">
            ${purgePlan.dryRun ? `Dry run: a purge would delete ${purgePlan.deleted} dead letter(s)` : `Purged ${purgePlan.deleted} dead letter(s)`}
          </div>`
        : null
    }
    <${Section} title="Waiting dead letters">
      ${
        view.deadLetters.length === 0
          ? html`<p data-testid="no-dead-letters">
              No dead letter waits: every one was redriven, or none failed.
            </p>`
          : html`<ul class="letters">
              ${view.deadLetters.map(
                (l) =>
                  html`<li class="letter" data-dead-letter=${l.id}>
                    <label
                      ><input type="checkbox" checked=${selected.has(l.id)} onChange=${() => toggle(l.id)} />
                      select ${l.id}</label
                    >
                    <div><strong>${l.errorClass}</strong> ${l.message ? html`— ${l.message}` : null}</div>
                    <div class="muted">
                      ${`from ${l.origin ?? 'unknown'} · ${l.timestamp}${l.attempts ? ` · ${l.attempts} attempt(s)` : ''}`}${traceLink(l.headers, jaeger) ? ' · ' : ''}${traceLink(l.headers, jaeger)}
                    </div>
                    <div class="kv">
                      <div>
                        <h3>key</h3>
                        <${Bytes} value=${l.key} />
                      </div>
                      <div>
                        <h3>value</h3>
                        <${Bytes} value=${l.value} />
                      </div>
                    </div>
                    <details>
                      <summary>Headers (Connect error headers, stack trace)</summary>
                      <dl class="headers">
                        ${Object.entries(l.headers).map(
                          ([k, v]) =>
                            html`<dt>${k}</dt>
                              <dd><pre>${Array.isArray(v) ? v.join('\n') : v}</pre></dd>`,
                        )}
                      </dl>
                    </details>
                  </li>`,
              )}
            </ul>`
      }
    </${Section}>
  </div>`;
}
