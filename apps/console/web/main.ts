import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { setToken, token } from './api';
import { ConnectorPage } from './connector-page';
import { DeadLetterGroups, DeadLettersPage } from './dead-letters-page';
import { MapPage, type Overview } from './map-page';
import { ReplayPage } from './replay-page';
import { SchemasPage, SubjectPage } from './schemas-page';
import { TopicPage, TopicsPage } from './topics-page';
import { html } from './ui';

const NAV: Array<[string, string]> = [
  ['#/', 'Pipeline map'],
  ['#/topics', 'Topics'],
  ['#/schemas', 'Schemas'],
  ['#/dead-letters', 'Dead letters'],
  ['#/replay', 'Replay'],
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/** The fleet's overview, pushed by the server (SSE) at each read of the apps. */
function useOverview(): [Overview | undefined, boolean] {
  const [overview, setOverview] = useState<Overview | undefined>();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.addEventListener('fleet', (e) =>
      setOverview(JSON.parse((e as MessageEvent<string>).data) as Overview),
    );
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    return () => source.close();
  }, []);
  return [overview, live];
}

function TokenField() {
  const [value, setValue] = useState(token());
  return html`<form
    class="token"
    onSubmit=${(e: Event) => {
      e.preventDefault();
      setToken(value);
    }}
  >
    <label
      >Management token
      <input
        type="password"
        autocomplete="off"
        value=${value}
        onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
    /></label>
    <button type="submit">Use</button>
  </form>`;
}

function App() {
  const hash = useHash();
  const [overview, live] = useOverview();
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  const page = (() => {
    switch (parts[0]) {
      case 'connectors':
        return html`<${ConnectorPage} name=${parts[1]} overview=${overview} />`;
      case 'topics':
        return parts[1]
          ? html`<${TopicPage} topic=${parts[1]} jaeger=${overview?.links.jaeger} />`
          : html`<${TopicsPage} />`;
      case 'schemas':
        return parts[1] ? html`<${SubjectPage} subject=${parts[1]} />` : html`<${SchemasPage} />`;
      case 'dead-letters':
        return parts[1]
          ? html`<${DeadLettersPage} group=${parts[1]} jaeger=${overview?.links.jaeger} />`
          : html`<${DeadLetterGroups} />`;
      case 'replay':
        return html`<${ReplayPage} />`;
      default:
        return html`<${MapPage} overview=${overview} />`;
    }
  })();
  const current = `#/${parts[0] ?? ''}`;
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header>
      <span class="brand">Sluice</span>
      <nav aria-label="console pages">
        <ul>
          ${NAV.map(
            ([href, label]) =>
              html`<li>
                <a
                  href=${href}
                  aria-current=${href === current || (href === '#/' && current === '#/') ? 'page' : undefined}
                  >${label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <span class=${live ? 'live on' : 'live'} aria-live="polite">${live ? 'live' : 'offline'}</span>
      ${overview?.links.jaeger ? html`<a href=${overview.links.jaeger} target="_blank" rel="noreferrer">Jaeger</a>` : null}
      ${overview?.links.prometheus ? html`<a href=${overview.links.prometheus} target="_blank" rel="noreferrer">Prometheus</a>` : null}
      <${TokenField} />
    </header>
    <main id="main" tabindex="-1">${page}</main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app')!);
