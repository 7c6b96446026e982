import { useEffect, useState } from 'preact/hooks';
import { enc, get, post } from './api';
import { ErrorNote, html, Section, useLoad } from './ui';

interface Plan {
  mode: 'republish' | 'reset';
  topic: string;
  target: string;
  records: string;
  runnable: boolean;
  refusal?: string;
  command: string;
  partitions: Array<{
    partition: number;
    from: string;
    to: string;
    records: string;
    committed?: string | null;
  }>;
}

/** A re-publish under way or finished, as GET /api/replay/runs/<id> answers. */
interface Run {
  replayId: string;
  source: string;
  target: string;
  range: string;
  status: 'running' | 'stopping' | 'done' | 'interrupted' | 'already-done' | 'failed';
  progress: {
    total: string;
    done: string;
    published: number;
    skipped: number;
    offsetsPerSecond: number;
    etaSeconds?: number;
  };
  error?: string;
}

const FINISHED = ['done', 'interrupted', 'already-done', 'failed'];

/**
 * `sluice replay` as a form: dry run first (the planned range per partition), then a group reset
 * or a re-publish whose progress is followed until it ends (and can be stopped, resumable).
 */
export function ReplayPage() {
  const [form, setForm] = useState({
    topic: '',
    by: 'offset',
    from: '',
    to: '',
    target: 'group',
    toTopic: '',
    group: '',
    rate: '',
  });
  const [plan, setPlan] = useState<Plan | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [run, setRun] = useState<Run | undefined>();
  // Follow a re-publish until it ends (its figures move after each committed chunk).
  useEffect(() => {
    if (!run || FINISHED.includes(run.status)) return;
    const timer = setTimeout(() => {
      get<Run>(`/api/replay/runs/${enc(run.replayId)}`).then(setRun, (e: Error) => setError(e.message));
    }, 500);
    return () => clearTimeout(timer);
  }, [run]);
  const field = (name: keyof typeof form) => (e: Event) => {
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
    setPlan(undefined);
    setDone(undefined);
    setRun(undefined);
  };
  const body = () => {
    const bound = (v: string) => (v === '' ? undefined : form.by === 'offset' ? { offset: v } : { time: v });
    return {
      topic: form.topic,
      ...(bound(form.from) ? { from: bound(form.from) } : {}),
      ...(form.target === 'topic' && bound(form.to) ? { to: bound(form.to) } : {}),
      ...(form.target === 'topic' ? { toTopic: form.toTopic } : { group: form.group }),
    };
  };
  const call = async (path: string, then: (result: unknown) => void, extra: object = {}) => {
    setBusy(true);
    setError(undefined);
    try {
      then(await post(path, { ...body(), ...extra }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<div>
    <h1>Replay</h1>
    <form
      class="stack"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        void call('/api/replay/plan', (r) => setPlan(r as Plan));
      }}
    >
      <label>Topic <input required value=${form.topic} onInput=${field('topic')} /></label>
      <fieldset>
        <legend>Range by</legend>
        <label
          ><input
            type="radio"
            name="by"
            value="offset"
            checked=${form.by === 'offset'}
            onChange=${field('by')}
          />
          offset</label
        >
        <label
          ><input type="radio" name="by" value="time" checked=${form.by === 'time'} onChange=${field('by')} />
          time (ISO-8601)</label
        >
      </fieldset>
      <label
        >From
        <input
          value=${form.from}
          onInput=${field('from')}
          placeholder=${form.by === 'offset' ? '0' : '2026-01-01T00:00:00Z'}
      /></label>
      <fieldset>
        <legend>Target</legend>
        <label
          ><input
            type="radio"
            name="target"
            value="group"
            checked=${form.target === 'group'}
            onChange=${field('target')}
          />
          move a consumer group to the start</label
        >
        <label
          ><input
            type="radio"
            name="target"
            value="topic"
            checked=${form.target === 'topic'}
            onChange=${field('target')}
          />
          re-publish into a topic</label
        >
      </fieldset>
      ${
        form.target === 'group'
          ? html`<label
              >Consumer group <input required value=${form.group} onInput=${field('group')}
            /></label>`
          : html`<label>Until (exclusive) <input value=${form.to} onInput=${field('to')} /></label>
              <label>Target topic <input required value=${form.toTopic} onInput=${field('toTopic')} /></label>
              <label
                >Rate limit, records a second (optional)
                <input inputmode="numeric" value=${form.rate} onInput=${field('rate')}
              /></label>`
      }
      <button type="submit" disabled=${busy}>Dry run</button>
    </form>
    <${ErrorNote} error=${error} />
    ${
      plan
        ? html`<${Section} title="Planned range">
          <p role="status" aria-label="replay plan">
            ${`${plan.mode === 'reset' ? `Group ${plan.target} would restart on ${plan.topic}` : `${plan.topic} would be re-published into ${plan.target}`}: ${plan.records} record(s)`}
          </p>
          <table><thead><tr><th scope="col">partition</th>${plan.mode === 'reset' ? html`<th scope="col">committed</th>` : null}<th scope="col">from</th><th scope="col">to</th><th scope="col">records</th></tr></thead>
            <tbody>${plan.partitions.map(
              (p) =>
                html`<tr>
                  <td>${p.partition}</td>
                  ${plan.mode === 'reset' ? html`<td>${p.committed ?? '–'}</td>` : null}
                  <td>${p.from}</td>
                  <td>${p.to}</td>
                  <td>${p.records}</td>
                </tr>`,
            )}</tbody></table>
          <p>Command: <code>${plan.command}</code></p>
          ${plan.refusal ? html`<p class="muted">${plan.refusal}</p>` : null}
          ${
            plan.mode === 'reset'
              ? html`<button
                  type="button"
                  disabled=${busy || !plan.runnable}
                  onClick=${() =>
                    call('/api/replay/reset', (r) =>
                      setDone(`reset ${(r as { resetId: string }).resetId} done`),
                    )}
                >
                  Reset the group
                </button>`
              : html`<button
                  type="button"
                  disabled=${busy || (run !== undefined && !FINISHED.includes(run.status))}
                  onClick=${() =>
                    call(
                      '/api/replay/republish',
                      (r) => setRun(r as Run),
                      form.rate ? { rate: Number(form.rate) } : {},
                    )}
                >
                  Re-publish
                </button>`
          }
          ${done ? html`<p role="status">${done}</p>` : null}
        </${Section}>`
        : null
    }
    ${run ? html`<${RunProgress} run=${run} onStop=${() => call(`/api/replay/runs/${enc(run.replayId)}/stop`, (r) => setRun(r as Run))} />` : null}
    <${Replays} current=${run} onFollow=${(r: Run) => setRun(r)} />
  </div>`;
}

/**
 * The re-publishes this console started (newest first), and any replay by its id — one run by
 * `sluice replay` too, from its checkpoint — to follow its progress.
 */
function Replays({ current, onFollow }: { current?: Run; onFollow: (run: Run) => void }) {
  const [runs, error, reload] = useLoad(() => get<{ runs: Run[] }>('/api/replay/runs'), [current?.status]);
  const [id, setId] = useState('');
  const [lookupError, setLookupError] = useState<string | undefined>();
  const follow = (replayId: string) => {
    setLookupError(undefined);
    get<Run>(`/api/replay/runs/${enc(replayId)}`).then(onFollow, (e: Error) => setLookupError(e.message));
  };
  return html`<${Section} title="Replays">
    <form
      class="inline"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        follow(id.trim());
      }}
    >
      <label>Replay id <input required value=${id} onInput=${(e: Event) => setId((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Show</button>
      <button type="button" onClick=${reload}>Refresh</button>
    </form>
    <${ErrorNote} error=${lookupError ?? error} />
    ${
      runs && runs.runs.length > 0
        ? html`<div class="scroll">
            <table aria-label="re-publishes from this console">
              <thead>
                <tr>
                  <th scope="col">replay</th>
                  <th scope="col">from → into</th>
                  <th scope="col">status</th>
                  <th scope="col">published</th>
                  <th scope="col">covered</th>
                </tr>
              </thead>
              <tbody>
                ${runs.runs.map(
                  (r) =>
                    html`<tr data-replay=${r.replayId}>
                      <td>
                        <button type="button" class="link" onClick=${() => follow(r.replayId)}>
                          ${r.replayId}
                        </button>
                      </td>
                      <td>${r.source} → ${r.target}</td>
                      <td>${r.status}</td>
                      <td>${r.progress.published}</td>
                      <td>${r.progress.done} of ${r.progress.total}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p class="muted">No re-publish started from this console yet.</p>`
    }
  </${Section}>`;
}

/** A re-publish's progress: offsets covered of the range, records published, pace, time left. */
function RunProgress({ run, onStop }: { run: Run; onStop: () => void }) {
  const { progress: p } = run;
  const total = Number(p.total);
  const done = Number(p.done);
  const state =
    run.status === 'done'
      ? `done: ${p.published} record(s) published into ${run.target}`
      : run.status === 'already-done'
        ? 'had already finished: nothing published'
        : run.status === 'failed'
          ? `failed: ${run.error ?? ''}`
          : run.status === 'interrupted'
            ? `stopped: ${p.published} record(s) published; resume with sluice replay --resume ${run.replayId}`
            : `${run.status}: ${p.published} record(s) published`;
  return html`<${Section} title="Re-publish">
    <p role="status" aria-label="replay progress" data-status=${run.status}>
      Replay ${run.replayId}, ${run.source} → ${run.target}: ${state}
    </p>
    <p>
      <progress max=${Math.max(total, 1)} value=${total === 0 ? 1 : done} aria-label="offsets covered"></progress> ${done} of ${total} offset(s) covered${
        FINISHED.includes(run.status)
          ? ''
          : `, ${p.offsetsPerSecond}/s${p.etaSeconds !== undefined ? `, about ${p.etaSeconds} s left` : ''}`
      }
    </p>
    ${
      run.status === 'running'
        ? html`<button type="button" onClick=${onStop}>Stop (resumable)</button>`
        : null
    }
  </${Section}>`;
}
