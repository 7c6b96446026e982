// Every app the chart deploys, started exactly as its container starts it — the image's entrypoint
// (deploy/docker/start-app.sh) with SLUICE_APP and the configuration the chart's ConfigMap holds,
// only the addresses pointed at the local stack — answers the chart's startup, liveness and
// readiness probe paths and /metrics (the ServiceMonitor's), and on SIGTERM (the signal reaches
// node itself: the entrypoint execs it) drains and exits 0 within terminationGracePeriodSeconds.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';
import { freePort, stackAddresses, uniqueName } from '@sluice/test-support';
import { WebhookSignature } from '@sluice/webhook-signing';
import { type AppDeployment, appDeployments, mountConfigMaps, parseManifests } from './chart-manifests';
import { PROJECT_ROOT, renderChart, run } from './deploy-toolchain';

const ENTRYPOINT = join(PROJECT_ROOT, 'deploy', 'docker', 'start-app.sh');
/** What the secret environment variables named *SECRET* or *TOKEN* hold here (tokens need 16+ characters). */
const TEST_SECRET = 'test-only-secret-0123456789abcdef';
const stack = stackAddresses();
const built = (app: string) => existsSync(join(PROJECT_ROOT, 'dist', 'apps', app, 'src', 'main.js'));

type Config = Record<string, unknown> & { http?: Record<string, unknown> };

async function get(port: number, path: string): Promise<number> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${what} within ${timeoutMs} ms; output:\n${output()}`);
}

/** Local resources one app's configuration is pointed at, and how to remove them. */
interface LocalWiring {
  cleanup: () => Promise<void>;
  /** source-http-poll: the Authorization headers the local API was polled with. */
  polledWith?: string[];
}

/**
 * The API source-http-poll polls here instead of the chart's (fictional) one: every request gets
 * one page of one item, no next link. Resolves with its base URL and the Authorization headers seen.
 */
async function localApi(): Promise<{ server: Server; url: string; polledWith: string[] }> {
  const polledWith: string[] = [];
  const server = createServer((request, response) => {
    polledWith.push(String(request.headers.authorization));
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({ data: [{ id: 'cus_probe', updated_at: '2024-01-01T00:00:00Z' }], next: null }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}`, polledWith };
}

const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect();
  }
}

/** Removes the registry subjects of `topics` (soft, then permanent), as a test run leaves none. */
async function deleteSubjects(topics: string[]): Promise<void> {
  for (const topic of topics)
    for (const subject of [`${topic}-key`, `${topic}-value`])
      for (const query of ['', '?permanent=true'])
        await fetch(`${stack.registryUrl}/subjects/${subject}${query}`, { method: 'DELETE' }).catch(
          () => undefined,
        );
}

async function sql(database: string, text: string): Promise<void> {
  const client = new Client({ ...stack.postgres, database });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Points the chart's configuration of `app` at the local stack, with names of its own (topics,
 * group, slot, publication, table), and creates what the app expects to exist.
 */
async function wireToStack(
  app: string,
  config: Config,
  configDir: string,
  port: number,
): Promise<LocalWiring> {
  const { host, port: pgPort, user } = stack.postgres;
  config.http = { ...config.http, host: '127.0.0.1', port };
  if (config.kafka) config.kafka = { ...(config.kafka as object), brokers: stack.kafkaBrokers };
  if (config.registry) config.registry = { ...(config.registry as object), url: stack.registryUrl };
  const name = uniqueName('probe').replace(/-/g, '_');
  const topics: string[] = [];
  let cleanup = async () => deleteTopics(topics);
  if (app === 'schema-registry') {
    config.database = { ...(config.database as object), host, port: pgPort, user, database: 'registry' };
  } else if (app === 'source-postgres') {
    config.postgres = { ...(config.postgres as object), host, port: pgPort, user, database: 'source' };
    config.topicPrefix = name;
    config.slot = { name, dropOnStop: true };
    config.publication = { name, autocreate: 'filtered' };
    config.tables = { include: [`public.${name}`] };
    delete config.signals;
    await sql('source', `CREATE TABLE public.${name} (id int PRIMARY KEY, v text)`);
    topics.push(`${name}.public.${name}`);
    cleanup = async () => {
      // Normally gone already (dropOnStop); after a failure the killed app's walsender may linger.
      await sql(
        'source',
        `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '${name}' AND active_pid IS NOT NULL`,
      );
      await new Promise((r) => setTimeout(r, 500));
      await sql(
        'source',
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${name}'`,
      );
      await sql('source', `DROP PUBLICATION IF EXISTS ${name}; DROP TABLE IF EXISTS public.${name}`);
      await deleteTopics(topics);
    };
  } else if (app === 'source-webhook') {
    // Endpoint topics of its own (the app creates them); the paths stay the chart's.
    config.endpoints = (config.endpoints as Config[]).map((e) => {
      const topic = `${name}.webhook.${String(e.name)}`;
      topics.push(topic);
      return { ...e, topic };
    });
    cleanup = async () => {
      await deleteTopics(topics);
      await deleteSubjects(topics);
    };
  } else if (app === 'source-http-poll') {
    // A source name, stream topics and offsets topic of its own (its transactional id is
    // sluice-http-poll.<name>), and the streams pointed at a local API; the rest stays the chart's.
    const api = await localApi();
    config.name = name.replace(/_/g, '-').toLowerCase();
    config.streams = (config.streams as Config[]).map((stream) => {
      const topic = `${name}.poll.${String(stream.name)}`;
      topics.push(topic);
      const url = new URL(String((stream.request as Config).url));
      return {
        ...stream,
        topic,
        request: { ...(stream.request as Config), url: `${api.url}${url.pathname}` },
      };
    });
    const offsets = `${name}.poll-offsets`;
    topics.push(offsets);
    config.offsets = { ...(config.offsets as object), topic: offsets };
    writeFileSync(join(configDir, 'config.yaml'), stringify(config));
    return {
      polledWith: api.polledWith,
      cleanup: async () => {
        await new Promise((resolve) => api.server.close(resolve));
        await deleteTopics(topics);
        await deleteSubjects(topics);
      },
    };
  } else if (app === 'transformer') {
    const file = join(configDir, 'pipeline.yaml');
    const pipeline = parse(readFileSync(file, 'utf8')) as Config;
    const [input, output] = [`${name}.in`, `${name}.out`];
    Object.assign(pipeline, { name: name.replace(/_/g, '-'), from: { topics: [input] }, to: output });
    writeFileSync(file, stringify(pipeline));
    await createTopic(input);
    topics.push(input, output, `sluice-pipeline-${name.replace(/_/g, '-')}.dlq`);
  } else if (app === 'console') {
    // It only reads: its apps stay the chart's Services (unreachable here, shown as such on the map).
  } else {
    const input = `${name}.in`;
    Object.assign(config, { group: name, topics: [input] });
    if (app === 'sink-postgres')
      config.target = { ...(config.target as object), host, port: pgPort, user, database: 'sink' };
    if (app === 'sink-http')
      config.destinations = (config.destinations as Config[]).map((d) => ({
        ...d,
        url: 'http://127.0.0.1:9/hook',
      }));
    await createTopic(input);
    topics.push(input, `${name}.dlq`, `${name}.dlq.parked`);
  }
  writeFileSync(join(configDir, 'config.yaml'), stringify(config));
  return { cleanup };
}

/** source-http-poll as the chart configures it polls its streams with the token the Deployment passes. */
async function pollsTheApi(wiring: LocalWiring, output: () => string): Promise<void> {
  await until('the local API is polled', async () => (wiring.polledWith ?? []).length > 0, 30_000, output);
  assert.equal(wiring.polledWith![0], `Bearer ${TEST_SECRET}`);
}

/**
 * Starts the app as its container does. Its working directory is an empty folder standing for the
 * read-only image (it must stay empty); TMPDIR and HOME stand for the chart's /tmp emptyDir.
 */
function startApp(
  deployment: AppDeployment,
  configFile: string,
  cwd: string,
): { child: ChildProcess; output: () => string } {
  let output = '';
  const secrets = Object.fromEntries(
    deployment.secretEnv.map((v) => [v, /SECRET|TOKEN/.test(v) ? TEST_SECRET : stack.postgres.password]),
  );
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-app-tmp-'));
  const child = spawn(ENTRYPOINT, [], {
    cwd,
    env: {
      TMPDIR: tmp,
      HOME: tmp,
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      SLUICE_APP: deployment.app,
      SLUICE_CONFIG: configFile,
      OTEL_SDK_DISABLED: 'true',
      ...secrets,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return { child, output: () => output.slice(-4000) };
}

/**
 * source-webhook as the chart configures it serves every endpoint path (what its Ingress routes):
 * an unsigned request is refused 401 with a JSON error; a request signed with the secret the
 * Deployment passes (a Stripe or Sluice scheme) is written, and its redelivery is a duplicate.
 */
async function answersWebhooks(port: number, config: Config): Promise<void> {
  const endpoints = config.endpoints as Array<{ name: string; path: string; verify: { scheme: string } }>;
  assert.ok(endpoints.length > 0, 'the chart configures endpoints');
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  for (const endpoint of endpoints) {
    const unsigned = await post(endpoint.path, '{}');
    assert.equal(unsigned.status, 401, `${endpoint.path}: ${JSON.stringify(unsigned.body)}`);
    assert.match(String(unsigned.body.error), /^signature refused: missing /);
  }
  const stripe = endpoints.find((e) => e.verify.scheme === 'stripe');
  if (stripe === undefined) return;
  const id = uniqueName('evt');
  const body = JSON.stringify({ id, type: 'customer.created', data: { object: { id: 'cus_probe' } } });
  const signed = () => ({
    'stripe-signature': new WebhookSignature(TEST_SECRET).header(
      Buffer.from(body),
      Math.floor(Date.now() / 1000),
    ),
  });
  const first = await post(stripe.path, body, signed());
  assert.deepEqual(first, { status: 200, body: { status: 'accepted', deliveryId: `${stripe.name}:${id}` } });
  const again = await post(stripe.path, body, signed());
  assert.deepEqual(again, { status: 200, body: { status: 'duplicate', deliveryId: `${stripe.name}:${id}` } });
}

describe('the apps as the chart deploys them', { timeout: 10 * 60_000 }, async () => {
  const enableOptional = ['source-webhook', 'source-http-poll', 'sink-postgres', 'sink-http']
    .filter(built)
    .map((a) => `apps.${a}.enabled=true`);
  const objects = parseManifests(await renderChart([], enableOptional));
  const mounted = mountConfigMaps(objects);
  const children: ChildProcess[] = [];
  after(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  it('deploys every app there is', () => {
    const apps = appDeployments(objects).map((d) => d.app);
    for (const app of [
      'schema-registry',
      'source-postgres',
      'source-webhook',
      'source-http-poll',
      'transformer',
      'sink-postgres',
      'sink-http',
    ].filter(built))
      assert.ok(apps.includes(app), `${app} is deployed`);
  });

  for (const deployment of appDeployments(objects)) {
    it(`${deployment.app}: probes and /metrics answer 200, nothing written outside /tmp, SIGTERM exits 0 within ${deployment.gracePeriodSeconds} s`, async () => {
      const dir = mounted.get(deployment.configMap)!;
      const port = await freePort();
      const config = parse(readFileSync(join(dir, 'config.yaml'), 'utf8')) as Config;
      assert.equal(config.http?.port, deployment.port, 'the app listens on the port the probes target');
      const wiring = await wireToStack(deployment.app, config, dir, port);
      const cwd = mkdtempSync(join(tmpdir(), 'sluice-app-cwd-'));
      const configBefore = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
      const { child, output } = startApp(deployment, join(dir, 'config.yaml'), cwd);
      children.push(child);
      try {
        const { startup, liveness, readiness } = deployment.probes;
        await until(
          `${readiness} answers 200`,
          async () => (await get(port, readiness)) === 200,
          90_000,
          output,
        );
        assert.equal(await get(port, liveness), 200, `${liveness}\n${output()}`);
        assert.equal(await get(port, startup), 200, startup);
        assert.equal(await get(port, '/metrics'), 200, '/metrics');
        if (deployment.app === 'source-webhook') await answersWebhooks(port, config);
        if (deployment.app === 'source-http-poll') await pollsTheApi(wiring, output);
        // The entrypoint exec'd node: the pid Kubernetes signals is node's own, running the app.
        const [argv0, main] = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
        assert.equal(argv0, 'node');
        assert.match(main!, new RegExp(`dist/apps/${deployment.app}/src/main\\.js$`));
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const started = Date.now();
        child.kill('SIGTERM');
        const code = await Promise.race([
          exited,
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deployment.gracePeriodSeconds * 1000)),
        ]);
        assert.equal(code, 0, `exit after SIGTERM (${Date.now() - started} ms)\n${output()}`);
        // Nothing written outside /tmp: not where it runs, not its (read-only) configuration.
        assert.deepEqual(readdirSync(cwd), []);
        assert.deepEqual(
          readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')),
          configBefore,
        );
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await gone;
        }
        await wiring.cleanup();
      }
    });
  }

  it('the entrypoint refuses an unknown or missing SLUICE_APP and a missing SLUICE_CONFIG, naming the apps', async () => {
    const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` };
    const unknown = await run(ENTRYPOINT, [], {
      env: { ...env, SLUICE_APP: 'nope', SLUICE_CONFIG: '/x.yaml' },
    });
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /set SLUICE_APP to one of: .*schema-registry.*transformer.* \(got 'nope'\)/);
    const cli = await run(ENTRYPOINT, [], { env: { ...env, SLUICE_APP: 'cli', SLUICE_CONFIG: '/x.yaml' } });
    assert.equal(cli.code, 64);
    const noConfig = await run(ENTRYPOINT, [], { env: { ...env, SLUICE_APP: 'transformer' } });
    assert.equal(noConfig.code, 64);
    assert.match(noConfig.stderr, /set SLUICE_CONFIG/);
  });
});
