// The web console in a real browser (Debian's Chromium driven by playwright-core) against the
// shared stack: a transformer (unwrap + a validate rule refusing negative totals) and a sink-http
// delivering its output to a local receiver, fed Avro change events all along; the console over
// both. The map shows the two connectors with rates; pausing the transformer shows it paused and
// its lag growing; a poison record shows in its dead letters, is redriven after the fix (the rule
// dropped, the app restarted) and leaves the list; a schema diff shows the added field; a replay
// dry run shows the planned range. Each page's screenshot goes to docs/images/console-*.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin } from 'kafkajs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { TopicProvisioner } from '@sluice/kafka';
import { AppChild, freePort, PROJECT_ROOT, stackAddresses, uniqueName, until } from '@sluice/test-support';
import { ensureChromium } from '../support/chromium';
import {
  appConfig as transformerConfig,
  ChangeEventWriter,
  createKafkaClient,
  kafkaConfig,
  type OrderRow,
  readAllDecoded,
  TRANSFORMER_MAIN,
  untilLeaders,
  untilReady,
} from '../integration/transformer/transformer-harness';
import {
  appConfig as sinkConfig,
  SINK_HTTP_MAIN,
  TestReceiver,
} from '../integration/sink-http/sink-http-harness';

const CONSOLE_MAIN = join(PROJECT_ROOT, 'dist', 'apps', 'console', 'src', 'main.js');
const IMAGES = join(PROJECT_ROOT, 'docs', 'images');
const chromiumCheck = ensureChromium();

describe(
  'console in a browser',
  { skip: chromiumCheck.ok ? false : `no browser: ${chromiumCheck.reason}`, timeout: 240_000 },
  () => {
    const kafka = createKafkaClient(kafkaConfig);
    let admin: Admin;
    const input = uniqueName('it.console.orders');
    const output = uniqueName('it.console.clean');
    const transformerGroup = uniqueName('it.console.tr');
    const sinkGroup = uniqueName('it.console.sink');
    const pipelineName = 'console-orders';
    const writer = new ChangeEventWriter(kafka, input, 'it.console.orders');
    const receiver = new TestReceiver();
    let transformer: AppChild;
    let sink: AppChild;
    let consoleApp: AppChild;
    let transformerUrl = '';
    let transformerPort = 0;
    let consoleUrl = '';
    let browser: Browser;
    let page: Page;
    let feeding = true;
    let feeder: Promise<void> = Promise.resolve();
    let nextId = 1;

    const pipeline = (strict: boolean) => {
      const file = join(mkdtempSync(join(tmpdir(), 'sluice-console-')), 'pipeline.yaml');
      const lines = [
        `name: ${pipelineName}`,
        `from: { topics: [${input}] }`,
        `to: ${output}`,
        `groupId: ${transformerGroup}`,
        'mode: at-least-once',
        'retry: { maxAttempts: 1 }',
        'steps:',
        '  - unwrap: {}',
      ];
      if (strict)
        lines.push(
          '  - validate: { rules: [{ name: total-not-negative, check: range, field: total, min: 0 }] }',
        );
      writeFileSync(file, [...lines, ''].join('\n'));
      return file;
    };
    const startTransformer = async (strict: boolean) => {
      transformer = new AppChild(
        TRANSFORMER_MAIN,
        transformerConfig(pipeline(strict), { http: { host: '127.0.0.1', port: transformerPort } }),
      );
      transformer.start();
      await untilReady(`${transformerUrl}/health/ready`);
    };
    const row = (id: number, total: number): OrderRow => ({
      id,
      email: `u${id}@example.com`,
      region: 'eu',
      total,
    });
    const write = async (rows: OrderRow[]) =>
      writer.write(await Promise.all(rows.map((r) => writer.encode(r))));
    const shoot = async (name: string) => {
      mkdirSync(IMAGES, { recursive: true });
      await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: false });
    };
    const open = async (hash: string) => {
      await page.goto(`${consoleUrl}/${hash}`);
    };

    before(async () => {
      admin = kafka.admin();
      await admin.connect();
      await new TopicProvisioner(admin).provision([
        { name: input, partitions: 1, replicationFactor: 1 },
        { name: output, partitions: 1, replicationFactor: 1 },
      ]);
      await untilLeaders(admin, input);
      await untilLeaders(admin, output);
      await write([row(nextId++, 10)]);
      await receiver.listen();
      transformerPort = await freePort();
      transformerUrl = `http://127.0.0.1:${transformerPort}`;
      const sinkPort = await freePort();
      const consolePort = await freePort();
      consoleUrl = `http://127.0.0.1:${consolePort}`;
      sink = new AppChild(
        SINK_HTTP_MAIN,
        sinkConfig({
          group: sinkGroup,
          topic: output,
          url: `${receiver.url}/orders`,
          port: sinkPort,
          destination: { body: { id: '{{ id }}', total: '{{ total }}' } },
          runtime: { concurrency: { partitions: 1, keysPerPartition: 4 } },
        }),
      );
      sink.start();
      const consoleDir = mkdtempSync(join(tmpdir(), 'sluice-console-app-'));
      consoleApp = new AppChild(CONSOLE_MAIN, {
        apps: [{ url: transformerUrl }, { url: `http://127.0.0.1:${sinkPort}` }],
        kafka: { brokers: stackAddresses().kafkaBrokers, clientId: 'sluice-it-console', logLevel: 'nothing' },
        registry: { url: stackAddresses().registryUrl },
        http: { host: '127.0.0.1', port: consolePort },
        links: { jaeger: 'http://127.0.0.1:16686', prometheus: 'http://127.0.0.1:9090' },
        refreshMs: 1000,
        logging: { level: 'warn' },
      });
      void consoleDir;
      consoleApp.start();
      const [launched] = await Promise.all([
        chromium.launch({
          executablePath: chromiumCheck.ok ? chromiumCheck.executablePath : undefined,
          headless: true,
          args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
        }),
        startTransformer(true),
        untilReady(`http://127.0.0.1:${sinkPort}/health/ready`),
        untilReady(`${consoleUrl}/health/live`),
      ]);
      browser = launched;
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // Records all along: a few a second, so every stage has a rate.
      feeder = (async () => {
        while (feeding) {
          await write([row(nextId++, 5), row(nextId++, 7)]).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
    });

    after(async () => {
      feeding = false;
      await feeder;
      await browser?.close().catch(() => undefined);
      for (const app of [consoleApp, sink, transformer]) await app?.kill('SIGTERM');
      for (const app of [consoleApp, sink, transformer]) app?.remove();
      await receiver.close().catch(() => undefined);
      const groupTopics = (g: string) => [`${g}.dlq`, `${g}.dlq.parked`, `${g}.dlq.audit`];
      await admin
        .deleteTopics({
          topics: [input, output, ...groupTopics(transformerGroup), ...groupTopics(sinkGroup)],
        })
        .catch(() => undefined);
      await admin.disconnect();
    });

    it('the map shows both connectors running, with rates', async () => {
      await open('#/');
      const transformerNode = page.locator(`[data-connector="${pipelineName}"]`);
      await transformerNode.waitFor({ timeout: 30_000 });
      const connectors = page.locator('.node.connector');
      await until(async () => (await connectors.count()) === 2, 30_000, 'two connectors on the map');
      // Each connector's events/s above zero (the console's reads of /metrics, 1 s apart).
      await until(
        async () => {
          const rates = await page.locator('.node.connector .rate').allTextContents();
          return rates.length === 2 && rates.every((r) => Number(r) > 0);
        },
        30_000,
        'a rate above 0 on each connector',
        () => '',
      );
      assert.match((await transformerNode.textContent()) ?? '', /RUNNING/);
      assert.match(
        (await transformerNode.textContent()) ?? '',
        new RegExp(`reads ${input.replace(/\./g, '\\.')}`),
      );
      await shoot('map');
      await page.setViewportSize({ width: 390, height: 844 });
      await shoot('map-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('pausing the transformer shows it paused and its lag growing; resume', async () => {
      await open(`#/connectors/${pipelineName}`);
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

    it('a poison record shows in dead letters, is redriven after the fix and leaves the list', async () => {
      const poisonId = 900_000 + Math.floor(Math.random() * 1000);
      await write([row(poisonId, -5)]);
      const letter = page.locator('[data-dead-letter]', { hasText: 'ValidationFailedError' });
      await open(`#/dead-letters/${transformerGroup}`);
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
        'the poison record in the dead letters',
        () => `(the page shows: ${shown.slice(0, 500)})`,
      );
      assert.match((await letter.textContent()) ?? '', new RegExp(`"id": ?${poisonId}`));
      await shoot('dead-letters');
      // The fix: the rule goes, the transformer restarts on the same group and port.
      await transformer.kill('SIGTERM');
      transformer.remove();
      await startTransformer(false);
      await open(`#/dead-letters/${transformerGroup}`);
      await page.getByRole('button', { name: /Dry-run redrive/ }).click();
      const plan = page.getByRole('status', { name: 'redrive plan' });
      await plan.getByText('Dry run: 1 record(s) would be published').waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: 'Redrive', exact: true }).click();
      await plan.getByText(/published 1 record\(s\)/).waitFor({ timeout: 30_000 });
      await page.getByTestId('no-dead-letters').waitFor({ timeout: 15_000 });
      // The redriven record went through the fixed pipeline into the output topic.
      await until(
        async () => {
          const out = await readAllDecoded(kafka, [output]);
          return out.some((r) => Number(r.value?.id) === poisonId);
        },
        45_000,
        'the redriven record in the output topic',
      );
    });

    it('a schema diff shows the added field', async () => {
      await writer.write([await writer.encode({ ...row(nextId++, 3), note: 'evolved' }, true)]);
      await open(`#/schemas/${input}-value`);
      const changes = page.getByRole('status', { name: 'field changes' });
      await changes.waitFor({ timeout: 15_000 });
      assert.match((await changes.textContent()) ?? '', /added: before\.note, after\.note/);
      await page.locator('tr.diff-added, tr.diff-changed').first().waitFor();
      await shoot('schemas');
    });

    it('a replay dry run shows the planned range', async () => {
      await open('#/replay');
      await page.getByLabel('Topic', { exact: true }).fill(input);
      await page.getByLabel('From', { exact: true }).fill('0');
      await page.getByLabel('Consumer group', { exact: true }).fill(sinkGroup);
      await page.getByRole('button', { name: 'Dry run' }).click();
      const plan = page.getByRole('status', { name: 'replay plan' });
      await plan.waitFor({ timeout: 15_000 });
      const text = (await plan.textContent()) ?? '';
      assert.match(text, new RegExp(`Group ${sinkGroup.replace(/\./g, '\\.')} would restart on`));
      const cells = await page.locator('table tbody tr').first().locator('td').allTextContents();
      // partition 0, committed (none: the sink group reads the output topic), from 0, to the end.
      assert.equal(cells[0], '0');
      assert.equal(cells[2], '0');
      assert.ok(Number(cells[3]) > 0, cells.join(' | '));
      await shoot('replay');
    });

    it('is usable by keyboard: a skip link first, every control named, a visible focus', async () => {
      for (const hash of [
        '#/',
        `#/connectors/${pipelineName}`,
        `#/dead-letters/${transformerGroup}`,
        `#/topics/${output}`,
        `#/schemas/${input}-value`,
        '#/replay',
      ]) {
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

    it("the console's API refuses malformed input with a 400 naming it, and unknown things with a 404", async () => {
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${consoleUrl}${path}`, {
          method,
          ...(body !== undefined
            ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
            : {}),
        });
        return { status: response.status, message: ((await response.json()) as { message: string }).message };
      };
      const cases: Array<[string, string, unknown, number, RegExp]> = [
        [
          'GET',
          `/api/topics/${output}/records?partition=x`,
          undefined,
          400,
          /^query parameter partition: expected a whole number/,
        ],
        ['GET', `/api/topics/${output}/records?partition=7`, undefined, 400, /partitions: .*7/],
        [
          'GET',
          `/api/topics/${output}/records?partition=0&offset=1&time=2`,
          undefined,
          400,
          /query parameter time: give offset or time, not both/,
        ],
        ['GET', '/api/topics/no-such-topic-here', undefined, 404, /topic no-such-topic-here does not exist/],
        [
          'GET',
          `/api/dead-letters/${transformerGroup}?includeRedriven=maybe`,
          undefined,
          400,
          /query parameter includeRedriven/,
        ],
        ['GET', '/api/dead-letters/no-such-group', undefined, 404, /no dead-letter topic no-such-group\.dlq/],
        [
          'POST',
          `/api/dead-letters/${transformerGroup}/redrive`,
          { dryRun: 'yes' },
          400,
          /^body dryRun: expected true or false/,
        ],
        [
          'POST',
          `/api/dead-letters/${transformerGroup}/redrive`,
          { dryRun: true, ids: ['9/9'] },
          404,
          /has no dead letter 9\/9/,
        ],
        ['POST', `/api/schemas/${input}-value/check`, { schema: '{"type":"recrd"}' }, 400, /^schema: /],
        ['POST', '/api/replay/plan', { topic: input }, 400, /body toTopic: expected exactly one of toTopic/],
        ['POST', `/api/connectors/${pipelineName}/explode`, undefined, 404, /unknown action explode/],
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
      // A purge dry run plans, deletes nothing.
      const purge = (await (
        await fetch(`${consoleUrl}/api/dead-letters/${transformerGroup}/purge`, {
          method: 'POST',
          body: JSON.stringify({ dryRun: true }),
          headers: { 'content-type': 'application/json' },
        })
      ).json()) as { dryRun: boolean; deleted: number };
      assert.deepEqual([purge.dryRun, purge.deleted], [true, 1]);
    });

    it('topics: browsing a partition shows the records decoded through the registry', async () => {
      await open(`#/topics/${output}`);
      await page.getByRole('button', { name: 'Read' }).click();
      const first = page.locator('[data-offset]').first();
      await first.waitFor({ timeout: 20_000 });
      assert.match((await first.textContent()) ?? '', /"total"/);
      await shoot('topics');
    });
  },
);
