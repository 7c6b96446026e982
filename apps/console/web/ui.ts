import { h, type ComponentChildren } from 'preact';
import htm from 'htm';
import { useEffect, useState } from 'preact/hooks';

export const html = htm.bind(h);

/** Loads `load()` when `deps` change: [value, error, reload]. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[],
): [T | undefined, string | undefined, () => void] {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load().then(
      (v) => live && setValue(v),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return [value, error, () => setRound((r) => r + 1)];
}

export function ErrorNote({ error }: { error?: string }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

export function Loading({ what }: { what: string }) {
  return html`<p class="muted" aria-live="polite">Loading ${what}…</p>`;
}

export function Section({ title, children }: { title: string; children?: ComponentChildren }) {
  return html`<section class="card" aria-label=${title}>
    <h2>${title}</h2>
    ${children}
  </section>`;
}

export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`badge state-${state.toLowerCase()}`}>${state}</span>`;
}

export function fmtRate(rate?: number): string {
  return rate === undefined ? '–' : rate >= 100 ? rate.toFixed(0) : rate.toFixed(1);
}

export function fmtSeconds(s?: number): string {
  if (s === undefined) return '–';
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}

/** A decoded key or value as the API renders it (Avro JSON, text, base64). */
export function Bytes({ value }: { value: unknown }) {
  if (value === null || value === undefined) return html`<span class="muted">null</span>`;
  const v = value as {
    avro?: unknown;
    text?: string;
    base64?: string;
    decodeError?: string;
    schemaId?: number;
  };
  const body =
    'avro' in v
      ? JSON.stringify(v.avro, null, 1)
      : v.text !== undefined
        ? v.text
        : `base64:${v.base64 ?? ''}`;
  return html`<pre class="bytes" title=${v.schemaId !== undefined ? `schema id ${v.schemaId}` : ''}>
${body}</pre>
    ${v.decodeError ? html`<small class="error">${v.decodeError}</small>` : null}`;
}

export function navigate(hash: string): void {
  location.hash = hash;
}
