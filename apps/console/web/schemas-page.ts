import { useState } from 'preact/hooks';
import { enc, get, post } from './api';
import { ErrorNote, html, Loading, Section, useLoad } from './ui';

export function SchemasPage() {
  const [filter, setFilter] = useState('');
  const [list, error] = useLoad(
    () => get<{ subjects: string[] }>(`/api/schemas?filter=${enc(filter)}`),
    [filter],
  );
  return html`<div>
    <h1>Schemas</h1>
    <label
      >Filter subjects
      <input
        type="search"
        value=${filter}
        onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)}
    /></label>
    <${ErrorNote} error=${error} />
    ${
      !list
        ? html`<${Loading} what="subjects" />`
        : html`<ul class="list">
            ${list.subjects.map((s) => html`<li><a href=${`#/schemas/${enc(s)}`}>${s}</a></li>`)}
          </ul>`
    }
  </div>`;
}

interface Subject {
  subject: string;
  versions: number[];
  compatibility: string;
  latest: { version: number; id: number; schema: string };
}

interface Diff {
  left: number;
  right: number;
  rows: Array<{ kind: string; left?: string; right?: string }>;
  fields: { added: string[]; removed: string[]; changed: string[] };
}

/** A subject: versions, compatibility level, a side-by-side diff of two versions, a compatibility check. */
export function SubjectPage({ subject }: { subject: string }) {
  const [info, error] = useLoad(() => get<Subject>(`/api/schemas/${enc(subject)}`), [subject]);
  const [pick, setPick] = useState<{ left?: number; right?: number }>({});
  const versions = info?.versions ?? [];
  const left = pick.left ?? versions[Math.max(0, versions.length - 2)];
  const right = pick.right ?? versions[versions.length - 1];
  const [diff, diffError] = useLoad(
    () =>
      left === undefined || right === undefined
        ? Promise.resolve(undefined)
        : get<Diff>(`/api/schemas/${enc(subject)}/diff?left=${left}&right=${right}`),
    [subject, left, right],
  );
  const [pasted, setPasted] = useState('');
  const [check, setCheck] = useState<
    { compatible: boolean; messages: string[]; compatibility: string } | undefined
  >();
  const [checkError, setCheckError] = useState<string | undefined>();
  const runCheck = async (e: Event) => {
    e.preventDefault();
    setCheckError(undefined);
    setCheck(undefined);
    try {
      setCheck(await post(`/api/schemas/${enc(subject)}/check`, { schema: pasted }));
    } catch (err) {
      setCheckError((err as Error).message);
    }
  };
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!info) return html`<${Loading} what=${subject} />`;
  const select = (side: 'left' | 'right', value: number | undefined) =>
    html`<label
      >${side === 'left' ? 'Old version' : 'New version'}
      <select
        value=${String(value)}
        onChange=${(e: Event) => setPick({ ...pick, [side]: Number((e.target as HTMLSelectElement).value) })}
      >
        ${versions.map((v) => html`<option value=${String(v)}>${v}</option>`)}
      </select></label
    >`;
  return html`<div>
    <h1>${subject}</h1>
    <p class="muted">versions ${versions.join(', ')} · compatibility <strong>${info.compatibility}</strong> · latest id ${info.latest.id}</p>
    <${Section} title="Diff">
      <div class="inline">${select('left', left)} ${select('right', right)}</div>
      <${ErrorNote} error=${diffError} />
      ${
        diff
          ? html`<p role="status" aria-label="field changes">
                ${diff.fields.added.length ? html`<span class="added">added: ${diff.fields.added.join(', ')}</span> ` : null}
                ${diff.fields.removed.length ? html`<span class="removed">removed: ${diff.fields.removed.join(', ')}</span> ` : null}
                ${diff.fields.changed.length ? html`<span class="changed">changed: ${diff.fields.changed.join(', ')}</span>` : null}
                ${diff.fields.added.length + diff.fields.removed.length + diff.fields.changed.length === 0 ? 'no field changes' : null}
              </p>
              <div class="scroll">
                <table class="diff">
                  <thead>
                    <tr>
                      <th scope="col">version ${diff.left}</th>
                      <th scope="col">version ${diff.right}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${diff.rows.map(
                      (r) =>
                        html`<tr class=${`diff-${r.kind}`}>
                          <td><pre>${r.left ?? ''}</pre></td>
                          <td><pre>${r.right ?? ''}</pre></td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
          : null
      }
    </${Section}>
    <${Section} title="Compatibility check">
      <form onSubmit=${runCheck}>
        <label for="pasted">Paste a schema to check against ${subject}'s latest version (${info.compatibility})</label>
        <textarea id="pasted" rows="8" value=${pasted} onInput=${(e: Event) => setPasted((e.target as HTMLTextAreaElement).value)}></textarea>
        <button type="submit" disabled=${!pasted}>Check compatibility</button>
      </form>
      <${ErrorNote} error=${checkError} />
      ${
        check
          ? html`<p role="status" class=${check.compatible ? 'ok' : 'error'}>
                ${check.compatible ? `Compatible (${check.compatibility})` : `Not compatible (${check.compatibility})`}
              </p>
              ${
                check.messages.length
                  ? html`<ul>
                      ${check.messages.map((m) => html`<li>${m}</li>`)}
                    </ul>`
                  : null
              }`
          : null
      }
    </${Section}>
  </div>`;
}
