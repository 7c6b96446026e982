import { useState } from 'preact/hooks';
import { enc, get } from './api';
import { Bytes, ErrorNote, html, Loading, Section, useLoad } from './ui';

interface TopicList {
  matched: number;
  topics: Array<{ name: string; partitions: number; records: string }>;
}

export function TopicsPage() {
  const [filter, setFilter] = useState('');
  const [list, error] = useLoad(() => get<TopicList>(`/api/topics?filter=${enc(filter)}`), [filter]);
  return html`<div>
    <h1>Topics</h1>
    <label
      >Filter by name
      <input
        type="search"
        value=${filter}
        onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)}
    /></label>
    <${ErrorNote} error=${error} />
    ${
      !list
        ? html`<${Loading} what="topics" />`
        : html`<p class="muted">
              ${list.matched} topic(s)
              match${list.matched > list.topics.length ? `, the first ${list.topics.length} shown` : ''}
            </p>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">topic</th>
                    <th scope="col">partitions</th>
                    <th scope="col">records</th>
                  </tr>
                </thead>
                <tbody>
                  ${list.topics.map(
                    (t) =>
                      html`<tr>
                        <td><a href=${`#/topics/${enc(t.name)}`}>${t.name}</a></td>
                        <td>${t.partitions}</td>
                        <td>${t.records}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
    }
  </div>`;
}

interface TopicDetail {
  name: string;
  records: string;
  replicationFactor: number;
  configs: Record<string, string>;
  partitions: Array<{ partition: number; leader: number; low: string; high: string }>;
  groups: Array<{ group: string; state: string; members: number; totalLag: string | null }>;
}

interface Browse {
  from: string;
  to: string;
  end: string;
  scanned: number;
  records: Array<{
    partition: number;
    offset: string;
    timestamp: string;
    key: unknown;
    value: unknown;
    headers: Record<string, string>;
    traceId?: string;
  }>;
}

/** A topic: partitions, sizes, groups with lag; records of a partition from an offset or time, key search. */
export function TopicPage({ topic, jaeger }: { topic: string; jaeger?: string }) {
  const [detail, error] = useLoad(() => get<TopicDetail>(`/api/topics/${enc(topic)}`), [topic]);
  const [form, setForm] = useState({ partition: '0', offset: '0', time: '', key: '' });
  const [browse, setBrowse] = useState<Browse | undefined>();
  const [browseError, setBrowseError] = useState<string | undefined>();
  const [reading, setReading] = useState(false);
  const read = async (e: Event) => {
    e.preventDefault();
    setReading(true);
    setBrowseError(undefined);
    const q = new URLSearchParams({ partition: form.partition });
    if (form.time) q.set('time', form.time);
    else q.set('offset', form.offset || '0');
    if (form.key) q.set('key', form.key);
    try {
      setBrowse(await get<Browse>(`/api/topics/${enc(topic)}/records?${q.toString()}`));
    } catch (err) {
      setBrowseError((err as Error).message);
    } finally {
      setReading(false);
    }
  };
  const field = (name: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!detail) return html`<${Loading} what=${topic} />`;
  return html`<div>
    <h1>${detail.name}</h1>
    <p class="muted">${detail.records} record(s) · ${detail.partitions.length} partition(s) · replication ${detail.replicationFactor}</p>
    <div class="two">
      <${Section} title="Partitions">
        <table><thead><tr><th scope="col">partition</th><th scope="col">leader</th><th scope="col">start</th><th scope="col">end</th></tr></thead>
          <tbody>${detail.partitions.map(
            (p) =>
              html`<tr>
                <td>${p.partition}</td>
                <td>${p.leader}</td>
                <td>${p.low}</td>
                <td>${p.high}</td>
              </tr>`,
          )}</tbody>
        </table>
      </${Section}>
      <${Section} title="Consumer groups">
        ${
          detail.groups.length === 0
            ? html`<p class="muted">No group committed an offset here.</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">group</th>
                    <th scope="col">state</th>
                    <th scope="col">members</th>
                    <th scope="col">lag</th>
                  </tr>
                </thead>
                <tbody>
                  ${detail.groups.map(
                    (g) =>
                      html`<tr>
                        <td>${g.group}</td>
                        <td>${g.state}</td>
                        <td>${g.members}</td>
                        <td>${g.totalLag ?? '–'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </${Section}>
    </div>
    <${Section} title="Browse records">
      <form class="inline" onSubmit=${read}>
        <label>Partition <input inputmode="numeric" value=${form.partition} onInput=${field('partition')} /></label>
        <label>From offset <input inputmode="numeric" value=${form.offset} onInput=${field('offset')} /></label>
        <label>or from time <input placeholder="2026-01-01T00:00:00Z" value=${form.time} onInput=${field('time')} /></label>
        <label>Key <input value=${form.key} onInput=${field('key')} /></label>
        <button type="submit" disabled=${reading}>${reading ? 'Reading…' : 'Read'}</button>
      </form>
      <${ErrorNote} error=${browseError} />
      ${
        browse
          ? html`<p class="muted">
                ${`Offsets ${browse.from} to ${browse.to} of ${browse.end} read (${browse.scanned} scanned), ${browse.records.length} shown`}
              </p>
              <ul class="letters">
                ${browse.records.map(
                  (r) =>
                    html`<li class="letter" data-offset=${r.offset}>
                      <div>
                        <strong>${r.partition}@${r.offset}</strong>${' '}<span class="muted"
                          >${r.timestamp}</span
                        >${' '}
                        ${r.traceId && jaeger ? html` <a href=${`${jaeger.replace(/\/$/, '')}/trace/${r.traceId}`} target="_blank" rel="noreferrer">trace</a>` : null}
                      </div>
                      <div class="kv">
                        <div>
                          <h3>key</h3>
                          <${Bytes} value=${r.key} />
                        </div>
                        <div>
                          <h3>value</h3>
                          <${Bytes} value=${r.value} />
                        </div>
                      </div>
                    </li>`,
                )}
              </ul>`
          : null
      }
    </${Section}>
  </div>`;
}
