// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// demo's four apps — source-postgres, the transformer running the demo pipeline, sink-postgres and
// sink-http — started as `sluice demo` starts them, under unique names on the shared stack
// (demo-apps.ts says what differs from the demo and why), and a console over them with its own
// management token (given to the page once, as an operator does). The map shows the
// four connectors with rates; pausing the transformer shows it paused and its lag growing; a poison
// order shows in its dead letters, is redriven after the fix (the validation rule dropped, the
// transformer restarted) and leaves the list; a schema diff shows the column added to the source
// table; a replay dry run shows the planned range, and a re-publish runs to its end with its
// progress; every page passes an axe-core audit (no serious or critical violation) at 1280×800 and
// fits a 390 px wide phone. Each page's screenshot goes to docs/images/console-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type AxeResults } from 'axe-core';
import { TopicProvisioner } from '@sluice/kafka';
import {
  AppChild,
  freePort,
  PROJECT_ROOT,
  readCommitted,
  runSluice,
  stackAddresses,
  until,
} from '@sluice/test-support';
import { ensureChromium } from '../support/chromium';
import {
  createKafkaClient,
  kafkaConfig,
  readAllDecoded,
} from '../integration/transformer/transformer-harness';
import { DemoApps } from './demo-apps';

const CONSOLE_MAIN = join(PROJECT_ROOT, 'dist', 'apps', 'console', 'src', 'main.js');
const IMAGES = join(PROJECT_ROOT, 'docs', 'images');
const AXE = require.resolve('axe-core/axe.min.js');
const JAEGER = 'http://127.0.0.1:16686';
// The console's own token: its mutating calls (pause, redrive, re-publish...) need it, as in production.
const CONSOLE_TOKEN = `console-${Math.random().toString(36).slice(2)}-token`;
const PROMETHEUS = 'http://127.0.0.1:9090';
const chromiumCheck = ensureChromium();

describe(
  'console in a browser',
  { skip: chromiumCheck.ok ? false : `no browser: ${chromiumCheck.reason}`, timeout: 300_000 },
  () => {
    const kafka = createKafkaClient(kafkaConfig);
    let admin: Admin;
    let demo: DemoApps;
    let consoleApp: AppChild | undefined;
    let consoleUrl = '';
    let browser: Browser | undefined;
    let page: Page;
    let replayTarget = '';

    const shoot = async (name: string) => {
      mkdirSync(IMAGES, { recursive: true });
      await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: false });
    };
    const open = async (hash: string) => {
      await page.goto(`${consoleUrl}/${hash}`);
    };
    const pages = () => [
      '#/',
      `#/connectors/${demo.pipeline}`,
      `#/dead-letters/${demo.groups.transformer}`,
      `#/topics/${demo.topics.clean}`,
      `#/schemas/${demo.topics.orders}-value`,
      '#/replay',
    ];

    before(async () => {
      admin = kafka.admin();
      await admin.connect();
      demo = await DemoApps.create();
      const consolePort = await freePort();
      consoleUrl = `http://127.0.0.1:${consolePort}`;
      replayTarget = `${demo.prefix}.replayed`;
      // Kept even when the apps fail to start, so that after() closes it.
      const launching = chromium
        .launch({
          executablePath: chromiumCheck.ok ? chromiumCheck.executablePath : undefined,
          headless: true,
          args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
        })
        .then((b) => (browser = b));
      await Promise.all([
        launching,
        demo.start(kafka),
        new TopicProvisioner(admin).provision([{ name: replayTarget, partitions: 1, replicationFactor: 1 }]),
      ]).catch(async (error: unknown) => {
        await launching.catch(() => undefined);
        throw error;
      });
      // The console as the demo configures it: every app with its service name, the trace and
      // metrics links (Jaeger and Prometheus need not run: the tests read the links' addresses).
      consoleApp = new AppChild(CONSOLE_MAIN, {
        apps: demo.consoleApps,
        kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-console', logLevel: 'nothing' },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: consolePort, token: CONSOLE_TOKEN },
        links: { jaeger: JAEGER, prometheus: PROMETHEUS },
        refreshMs: 1000,
        logging: { level: 'warn' },
      });
      consoleApp.start();
      demo.startFeed();
      await until(
        async () => (await fetch(`${consoleUrl}/health/live`).catch(() => undefined))?.ok === true,
        60_000,
        'the console live',
      );
      page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
      // The operator gives the page the token once (kept for the tab's session).
      await page.goto(`${consoleUrl}/#/`);
      await page.getByLabel('Management token').fill(CONSOLE_TOKEN);
      await page.getByRole('button', { name: 'Use', exact: true }).click();
    });

    after(async () => {
      await browser?.close().catch(() => undefined);
      await consoleApp?.kill('SIGTERM');
      consoleApp?.remove();
      await demo?.stop(kafka, stackAddresses().registryUrl);
      await admin.deleteTopics({ topics: [replayTarget] }).catch(() => undefined);
      await admin.disconnect();
    });

    it("the map shows the demo's four connectors running, each with a rate", async () => {
      await open('#/');
      await page.locator(`[data-connector="${demo.pipeline}"]`).waitFor({ timeout: 30_000 });
      const connectors = page.locator('.node.connector');
      await until(async () => (await connectors.count()) === 4, 30_000, 'four connectors on the map');
      // Each connector's events/s above zero (the console's reads of /metrics, 1 s apart).
      let rates: string[] = [];
      await until(
        async () => {
          rates = await page.locator('.node.connector .rate').allTextContents();
          return rates.length === 4 && rates.every((r) => Number(r) > 0);
        },
        45_000,
        'a rate above 0 on each connector',
        () => `(rates: ${rates.join(', ')})`,
      );
      const text = (await page.locator('.node.connector').allTextContents()).join('\n');
      assert.equal(text.match(/RUNNING/g)?.length, 4, text);
      const pipelineNode = page.locator(`[data-connector="${demo.pipeline}"]`);
      assert.match(
        (await pipelineNode.textContent()) ?? '',
        new RegExp(`reads ${escape(demo.topics.orders)}`),
      );
      await shoot('map');
      await page.setViewportSize({ width: 390, height: 844 });
      await shoot('map-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('pausing the transformer shows it paused and its lag growing; resume', async () => {
      await open(`#/connectors/${demo.pipeline}`);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.locator('h1 .badge', { hasText: 'PAUSED' }).waitFor({ timeout: 15_000 });
      const lag = page.getByTestId('lag');
      let first = -1;
      await until(
        async () => {
          const value = Number(await lag.textContent());
          if (Number.isNaN(value)) return false;
          if (first < 0) first = value;
          return value >= first + 4;
        },
        30_000,
        "the paused transformer's lag to grow",
      );
      await shoot('connector');
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.locator('h1 .badge', { hasText: 'RUNNING' }).waitFor({ timeout: 15_000 });
    });

    it("a connector links to its traces in Jaeger (its app's service and group) and its metrics in Prometheus", async () => {
      await open(`#/connectors/${demo.pipeline}`);
      await page.locator('main h1', { hasText: demo.pipeline }).waitFor({ timeout: 15_000 });
      const traces = new URL(
        (await page.getByRole('link', { name: 'Traces in Jaeger' }).getAttribute('href'))!,
      );
      assert.equal(`${traces.origin}${traces.pathname}`, `${JAEGER}/search`);
      assert.equal(traces.searchParams.get('service'), 'transformer');
      assert.deepEqual(JSON.parse(traces.searchParams.get('tags')!), {
        'messaging.consumer.group.name': demo.groups.transformer,
      });
      const sinkHttp = await connectorOf(demo.apps.sinkHttp.url);
      await open(`#/connectors/${encodeURIComponent(sinkHttp)}`);
      await page.locator('main h1', { hasText: sinkHttp }).waitFor({ timeout: 15_000 });
      const sinkTraces = new URL(
        (await page.getByRole('link', { name: 'Traces in Jaeger' }).getAttribute('href'))!,
      );
      assert.equal(sinkTraces.searchParams.get('service'), 'sink-http');
      const metrics = new URL(
        (await page.getByRole('link', { name: 'Metrics in Prometheus' }).getAttribute('href'))!,
      );
      assert.equal(`${metrics.origin}${metrics.pathname}`, `${PROMETHEUS}/graph`);
      assert.match(metrics.searchParams.get('g0.expr')!, new RegExp(escape(demo.groups.sinkHttp)));
    });

    it('a poison order shows in dead letters, is redriven after the fix and leaves the list', async () => {
      const poisonId = await demo.insertOrder(-5);
      const letter = page.locator('[data-dead-letter]', { hasText: 'ValidationFailedError' });
      await open(`#/dead-letters/${demo.groups.transformer}`);
      let shown = '';
      await until(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          await page
            .locator('[data-dead-letter], [data-testid=no-dead-letters], [role=alert]')
            .first()
            .waitFor();
          if (await letter.isVisible()) return true;
          shown = (await page.locator('main').textContent()) ?? '';
          await new Promise((r) => setTimeout(r, 1000));
          return false;
        },
        45_000,
        'the poison order in the dead letters',
        () => `(the page shows: ${shown.slice(0, 500)})`,
      );
      assert.match((await letter.textContent()) ?? '', new RegExp(`"id": ?${poisonId}\\b`));
      // The dead letter keeps the failed record's trace context: a link to its trace.
      const letterTrace = await letter
        .getByRole('link', { name: 'its trace in Jaeger' })
        .getAttribute('href');
      assert.match(letterTrace ?? '', new RegExp(`^${escape(JAEGER)}/trace/[0-9a-f]{32}$`));
      await shoot('dead-letters');
      // The fix: the rule goes, the transformer restarts on the same group and port.
      await demo.restartTransformerWithoutValidation();
      await open(`#/dead-letters/${demo.groups.transformer}`);
      await page.getByRole('button', { name: /Dry-run redrive/ }).click();
      const plan = page.getByRole('status', { name: 'redrive plan' });
      await plan.getByText('Dry run: 1 record(s) would be published').waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Redrive', exact: true }).click();
      await plan.getByText(/published 1 record\(s\)/).waitFor({ timeout: 30_000 });
      await page.getByTestId('no-dead-letters').waitFor({ timeout: 15_000 });
      // The redriven order went through the fixed pipeline into its output topic.
      await until(
        async () => {
          const out = await readAllDecoded(kafka, [demo.topics.clean]);
          return out.some((r) => Number(r.value?.id) === poisonId);
        },
        45_000,
        'the redriven order in the output topic',
      );
    });

    it('a schema diff shows the column added to the source table', async () => {
      await demo.addOrderNote();
      await demo.insertOrder(7, 'evolved');
      await open(`#/schemas/${demo.topics.orders}-value`);
      const changes = page.getByRole('status', { name: 'field changes' });
      let text = '';
      // The source registers the next version with the first row written after the ALTER.
      await until(
        async () => {
          await page.reload();
          await changes.waitFor({ timeout: 15_000 }).catch(() => undefined);
          text = (await changes.textContent().catch(() => '')) ?? '';
          if (/added: .*before\.note/.test(text)) return true;
          await new Promise((r) => setTimeout(r, 500));
          return false;
        },
        30_000,
        'the added column in the diff',
        () => `(the diff says: ${text})`,
      );
      await page.locator('tr.diff-added, tr.diff-changed').first().waitFor();
      await shoot('schemas');
    });

    it('a replay dry run shows the planned range', async () => {
      await open('#/replay');
      await page.getByLabel('Topic', { exact: true }).fill(demo.topics.orders);
      await page.getByLabel('From', { exact: true }).fill('0');
      await page.getByLabel('Consumer group', { exact: true }).fill(demo.groups.sinkPostgres);
      await page.getByRole('button', { name: 'Dry run' }).click();
      const plan = page.getByRole('status', { name: 'replay plan' });
      await plan.waitFor({ timeout: 15_000 });
      const text = (await plan.textContent()) ?? '';
      assert.match(
        text,
        new RegExp(
          `Group ${escape(demo.groups.sinkPostgres)} would restart on ${escape(demo.topics.orders)}`,
        ),
      );
      const cells = await page.locator('table tbody tr').first().locator('td').allTextContents();
      // partition 0, committed (sink-postgres is past the snapshot), from 0, to the end.
      assert.equal(cells[0], '0');
      assert.ok(Number(cells[1]) > 0, cells.join(' | '));
      assert.equal(cells[2], '0');
      assert.ok(Number(cells[3]) > 0, cells.join(' | '));
      await shoot('replay');
    });

    it('a re-publish runs from the replay page to its end, with its progress', async () => {
      await open('#/replay');
      await page.getByLabel('Topic', { exact: true }).fill(demo.topics.orders);
      await page.getByLabel('re-publish into a topic').check();
      await page.getByLabel('From', { exact: true }).fill('0');
      await page.getByLabel('Until (exclusive)').fill('40');
      await page.getByLabel('Target topic').fill(replayTarget);
      await page.getByRole('button', { name: 'Dry run' }).click();
      const plan = page.getByRole('status', { name: 'replay plan' });
      await plan.waitFor({ timeout: 15_000 }).catch(async (error: Error) => {
        throw new Error(
          `${error.message}\n(the page shows: ${(await page.locator('main').textContent())?.slice(0, 600)})`,
        );
      });
      assert.match(
        ((await plan.textContent()) ?? '').replace(/\s+/g, ' '),
        new RegExp(
          `${escape(demo.topics.orders)} would be re-published into ${escape(replayTarget)}: 40 record\\(s\\)`,
        ),
      );
      await page.getByRole('button', { name: 'Re-publish' }).click();
      const progress = page.getByRole('status', { name: 'replay progress' });
      await page.locator('[aria-label="replay progress"][data-status="done"]').waitFor({ timeout: 60_000 });
      const text = (await progress.textContent()) ?? '';
      const published = Number(/done: (\d+) record\(s\) published/.exec(text)?.[1]);
      // A transactional writer's commit markers take offsets too: at most 40 records.
      assert.ok(published > 0 && published <= 40, text);
      const bar = page.getByRole('progressbar', { name: 'offsets covered' });
      assert.equal(await bar.getAttribute('value'), '40');
      assert.equal(await bar.getAttribute('max'), '40');
      await progress.scrollIntoViewIfNeeded();
      await shoot('replay-progress');
      // Exactly what it says it published is in the target, committed.
      const records = [...(await readCommitted(kafka, replayTarget)).values()].flat();
      assert.equal(records.length, published);
      // The API says the same, by the replay's id.
      const replayId = /Replay (\S+),/.exec(text)![1]!;
      const run = (await (await fetch(`${consoleUrl}/api/replay/runs/${replayId}`)).json()) as {
        status: string;
        progress: { published: number; done: string; total: string };
      };
      assert.deepEqual(
        [run.status, run.progress.published, run.progress.done, run.progress.total],
        ['done', published, '40', '40'],
      );
    });

    it('a rate-limited re-publish stops at a chunk boundary and says how to resume it', async () => {
      await open('#/replay');
      await page.reload();
      await page.getByLabel('Topic', { exact: true }).fill(demo.topics.orders);
      await page.getByLabel('re-publish into a topic').check();
      await page.getByLabel('From', { exact: true }).fill('0');
      await page.getByLabel('Until (exclusive)').fill('40');
      await page.getByLabel('Target topic').fill(replayTarget);
      await page.getByLabel(/Rate limit/).fill('4');
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.getByRole('status', { name: 'replay plan' }).waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Re-publish' }).click();
      const progress = page.getByRole('status', { name: 'replay progress' });
      await progress.waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Stop (resumable)' }).click();
      await page
        .locator('[aria-label="replay progress"][data-status="interrupted"]')
        .waitFor({ timeout: 30_000 });
      const text = ((await progress.textContent()) ?? '').replace(/\s+/g, ' ');
      const replayId = /Replay (\S+),/.exec(text)![1]!;
      assert.match(
        text,
        new RegExp(`stopped: \\d+ record\\(s\\) published; resume with sluice replay --resume ${replayId}`),
      );
      // The API says the same: part of the range covered, the rest left for --resume.
      const run = (await (await fetch(`${consoleUrl}/api/replay/runs/${replayId}`)).json()) as {
        status: string;
        progress: { done: string; total: string };
      };
      assert.equal(run.status, 'interrupted');
      assert.ok(Number(run.progress.done) < 40, JSON.stringify(run));
    });

    it("the replays list shows this console's re-publishes; a `sluice replay` run shows by its id, from its checkpoint", async () => {
      const cliReplay = `${demo.prefix}-cli`;
      const cli = runSluice(
        [
          'replay',
          '--topic',
          demo.topics.orders,
          '--from-offset',
          '0',
          '--to-offset',
          '10',
          '--to-topic',
          replayTarget,
          '--replay-id',
          cliReplay,
          '--brokers',
          stackAddresses().kafkaBrokers.join(','),
          '--registry',
          stackAddresses().registryUrl,
          '--quiet',
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(cli.code, 0, cli.stderr);
      await open('#/replay');
      await page.reload();
      const rows = page.locator('[data-replay]');
      await rows.first().waitFor({ timeout: 15_000 });
      const statuses = (await rows.allTextContents()).map(
        (t) => /(done|interrupted|running|failed)/.exec(t)?.[1],
      );
      assert.deepEqual(statuses, ['interrupted', 'done']);
      await page.getByLabel('Replay id').fill(cliReplay);
      await page.getByRole('button', { name: 'Show', exact: true }).click();
      const progress = page.locator('[aria-label="replay progress"][data-status="done"]');
      await progress.waitFor({ timeout: 30_000 });
      assert.match(
        ((await progress.textContent()) ?? '').replace(/\s+/g, ' '),
        new RegExp(
          `Replay ${escape(cliReplay)}, ${escape(demo.topics.orders)} → ${escape(replayTarget)}: done: \\d+ record`,
        ),
      );
      const run = (await (await fetch(`${consoleUrl}/api/replay/runs/${cliReplay}`)).json()) as {
        ownRun: boolean;
        progress: { done: string; total: string };
      };
      assert.deepEqual([run.ownRun, run.progress.done, run.progress.total], [false, '10', '10']);
    });

    it('topics: browsing a partition shows the records decoded through the registry, each linked to its trace', async () => {
      await open(`#/topics/${demo.topics.clean}`);
      await page.getByRole('button', { name: 'Read' }).click();
      const first = page.locator('[data-offset]').first();
      await first.waitFor({ timeout: 20_000 });
      assert.match((await first.textContent()) ?? '', /"customer_email"/);
      // The transformer's records carry their trace context (W3C traceparent): each links its trace.
      const trace = await first.getByRole('link', { name: 'trace' }).getAttribute('href');
      assert.match(trace ?? '', new RegExp(`^${escape(JAEGER)}/trace/[0-9a-f]{32}$`));
      await shoot('topics');
    });

    it('every page passes an axe-core audit: no serious or critical violation', async (t) => {
      const found: string[] = [];
      const lesser: string[] = [];
      for (const hash of pages()) {
        await open(hash);
        await page.locator('main h1').first().waitFor({ timeout: 15_000 });
        await page.waitForLoadState('networkidle').catch(() => undefined);
        const results = await audit(page);
        assert.ok(results.passes.length > 0, `${hash}: the audit ran no rule`);
        for (const v of results.violations)
          if (v.impact !== 'serious' && v.impact !== 'critical') lesser.push(`${hash} ${v.id} (${v.impact})`);
          else
            found.push(
              `${hash} ${v.id} (${v.impact}): ${v.help} — ${v.nodes
                .slice(0, 3)
                .map((n) => n.target.join(' '))
                .join('; ')}`,
            );
      }
      // Moderate and minor findings are reported, not failed on.
      if (lesser.length > 0) t.diagnostic(`axe, moderate or minor: ${lesser.join('; ')}`);
      assert.deepEqual(found, []);
    });

    it('every page fits a 390 px wide phone: no sideways scrolling, no serious or critical axe violation', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        const overflowing: string[] = [];
        for (const hash of pages()) {
          await open(hash);
          await page.locator('main h1').first().waitFor({ timeout: 15_000 });
          const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
          if (width > 390) overflowing.push(`${hash}: ${width} px wide`);
          for (const v of (await audit(page)).violations)
            if (v.impact === 'serious' || v.impact === 'critical')
              overflowing.push(`${hash} ${v.id} (${v.impact}): ${v.help}`);
        }
        assert.deepEqual(overflowing, []);
        await open(`#/connectors/${demo.pipeline}`);
        await page.locator('main h1').first().waitFor();
        await shoot('connector-phone');
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    it('is usable by keyboard: a skip link first, every control named, a visible focus', async () => {
      for (const hash of pages()) {
        await open(hash);
        await page.locator('main h1').first().waitFor({ timeout: 15_000 });
        // Controls without an accessible name: no label, no aria-label, no text.
        const unnamed =
          (await page.evaluate(`[...document.querySelectorAll('input, select, textarea, button, a[href]')]
          .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && (el.textContent || '').trim() === '')
          .map((el) => el.outerHTML.slice(0, 80))`)) as string[];
        assert.deepEqual(unnamed, [], hash);
      }
      // A fresh load (not a hash change), then the first Tab.
      await page.goto(`${consoleUrl}/?keyboard#/`);
      await page.locator('main h1').waitFor();
      await page.keyboard.press('Tab');
      const first = (await page.evaluate(
        `({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })`,
      )) as { text: string; outline: string };
      assert.equal(first.text, 'Skip to content');
      assert.notEqual(first.outline, 'none');
    });

    it("the console's API refuses malformed input with a 400 naming it, unknown things with a 404, a re-publish without its token with a 401", async () => {
      const call = async (
        method: string,
        path: string,
        body?: unknown,
        token: string | null = CONSOLE_TOKEN,
      ) => {
        const response = await fetch(`${consoleUrl}${path}`, {
          method,
          headers: {
            ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: response.status, message: ((await response.json()) as { message: string }).message };
      };
      const { clean, orders } = demo.topics;
      const group = demo.groups.transformer;
      const cases: Array<[string, string, unknown, number, RegExp]> = [
        [
          'GET',
          `/api/topics/${clean}/records?partition=x`,
          undefined,
          400,
          /^query parameter partition: expected a whole number/,
        ],
        ['GET', `/api/topics/${clean}/records?partition=7`, undefined, 400, /partitions: .*7/],
        [
          'GET',
          `/api/topics/${clean}/records?partition=0&offset=1&time=2`,
          undefined,
          400,
          /query parameter time: give offset or time, not both/,
        ],
        ['GET', '/api/topics/no-such-topic-here', undefined, 404, /topic no-such-topic-here does not exist/],
        [
          'GET',
          `/api/dead-letters/${group}?includeRedriven=maybe`,
          undefined,
          400,
          /query parameter includeRedriven/,
        ],
        ['GET', '/api/dead-letters/no-such-group', undefined, 404, /no dead-letter topic no-such-group\.dlq/],
        [
          'POST',
          `/api/dead-letters/${group}/redrive`,
          { dryRun: 'yes' },
          400,
          /^body dryRun: expected true or false/,
        ],
        [
          'POST',
          `/api/dead-letters/${group}/redrive`,
          { dryRun: true, ids: ['9/9'] },
          404,
          /has no dead letter 9\/9/,
        ],
        ['POST', `/api/schemas/${orders}-value/check`, { schema: '{"type":"recrd"}' }, 400, /^schema: /],
        ['POST', '/api/replay/plan', { topic: orders }, 400, /body toTopic: expected exactly one of toTopic/],
        ['POST', '/api/replay/republish', { topic: orders }, 400, /^body toTopic: /],
        [
          'POST',
          '/api/replay/republish',
          { topic: orders, toTopic: replayTarget, rate: -1 },
          400,
          /^body rate: expected records per second, above 0/,
        ],
        [
          'POST',
          '/api/replay/republish',
          { topic: orders, toTopic: 'no-such-target-topic' },
          404,
          /no-such-target-topic/,
        ],
        ['GET', '/api/replay/runs/no-such-replay', undefined, 404, /no replay no-such-replay is recorded/],
        ['POST', `/api/connectors/${demo.pipeline}/explode`, undefined, 404, /unknown action explode/],
        [
          'POST',
          '/api/connectors/nobody/pause',
          undefined,
          404,
          /no app of this console has a connector named nobody/,
        ],
      ];
      for (const [method, path, body, status, message] of cases) {
        const answer = await call(method, path, body);
        assert.equal(answer.status, status, `${method} ${path}: ${answer.status} ${answer.message}`);
        assert.match(answer.message, message, `${method} ${path}`);
      }
      // A re-publish (as every mutating call) without the console's token, or with another, is refused.
      for (const token of [null, 'not-the-token']) {
        const refused = await call(
          'POST',
          '/api/replay/republish',
          { topic: orders, toTopic: replayTarget },
          token,
        );
        assert.equal(refused.status, 401, `${token}: ${refused.message}`);
      }
      // A purge dry run plans, deletes nothing (the redriven dead letter is still in the topic).
      const purge = (await (
        await fetch(`${consoleUrl}/api/dead-letters/${group}/purge`, {
          method: 'POST',
          body: JSON.stringify({ dryRun: true }),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CONSOLE_TOKEN}` },
        })
      ).json()) as { dryRun: boolean; deleted: number };
      assert.deepEqual([purge.dryRun, purge.deleted], [true, 1]);
    });

    /** The connector an app serves (its management API's list). */
    async function connectorOf(appUrl: string): Promise<string> {
      const list = (await (await fetch(`${appUrl}/connectors`)).json()) as Array<{ name: string }> | string[];
      const first = list[0]!;
      return typeof first === 'string' ? first : first.name;
    }
  },
);

/** axe-core (the npm package, injected from node_modules: no CDN) run over the page. */
async function audit(page: Page): Promise<AxeResults> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.addScriptTag({ path: AXE });
  return (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`,
  )) as AxeResults;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
