// Benchmark of the schema registry: schema-by-id lookups per second over keep-alive HTTP, and the
// latency of registering new schemas. The registry runs as its own process (as in production),
// the load comes from this one.
//   node dist/bench/schema-registry.bench.js [--quick] [--runs N]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appProcessEnv } from '@sluice/config';
import { Client } from 'pg';
import { freePort, stackAddresses, uniqueName } from '@sluice/test-support';
import { type BenchFigure, percentile } from './support/bench-figure';

export interface SchemaRegistryBenchOptions {
  runs: number;
  quick: boolean;
  postgres: { host: string; port: number; user: string; password: string };
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAIN = join(__dirname, '..', 'apps', 'schema-registry', 'src', 'main.js');

async function adminQuery(pg: SchemaRegistryBenchOptions['postgres'], sql: string): Promise<void> {
  const client = new Client({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Starts `node main.js` with a config file; resolves once `GET /subjects` answers 200. */
async function startRegistryProcess(
  pg: SchemaRegistryBenchOptions['postgres'],
  database: string,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-bench-registry-')), 'registry.yaml');
  writeFileSync(
    file,
    `http: { host: 127.0.0.1, port: ${port} }\n` +
      `database: { host: ${pg.host}, port: ${pg.port}, user: ${pg.user}, password: ${JSON.stringify(pg.password)}, database: ${database} }\n` +
      `logging: { level: warn }\n`,
  );
  const child = spawn(process.execPath, [MAIN], {
    env: appProcessEnv({ ...process.env, SLUICE_CONFIG: file }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`registry exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/subjects`)).status === 200) return { url, child };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('registry did not become ready within 30 s');
}

async function stopRegistryProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function benchSchema(name: string, fields = 3): string {
  return JSON.stringify({
    type: 'record',
    name,
    namespace: 'sluice.bench',
    fields: Array.from({ length: fields }, (_, i) => ({ name: `f${i}`, type: i % 2 ? 'string' : 'long' })),
  });
}

async function register(url: string, subject: string, schema: string): Promise<number> {
  const response = await fetch(`${url}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE },
    body: JSON.stringify({ schema }),
  });
  if (response.status !== 200)
    throw new Error(`register ${subject}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

type Transport = 'fetch' | 'http';

/** One GET over node:http with a keep-alive agent: far less client CPU per request than fetch. */
function httpGet(agent: Agent, url: URL, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * `clients` concurrent keep-alive clients fetching schemas by id for `seconds`; returns requests
 * per second. With `fetch` the load generator, sharing the 2 cores, costs more than the registry.
 */
async function lookupsPerSecond(
  url: string,
  ids: readonly number[],
  clients: number,
  seconds: number,
  transport: Transport,
): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const base = new URL(url);
  const get = async (path: string): Promise<number> => {
    if (transport === 'http') return httpGet(agent, base, path);
    const response = await fetch(`${url}${path}`);
    await response.arrayBuffer();
    return response.status;
  };
  const stopAt = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        let i = c;
        while (performance.now() < stopAt) {
          const status = await get(`/schemas/ids/${ids[i++ % ids.length]}`);
          if (status !== 200) throw new Error(`lookup: ${status}`);
          done++;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return done / ((performance.now() - started) / 1000);
}

/** Sequential registrations of new schemas, each a new subject; returns [p50, p99] in ms. */
async function registrationLatency(url: string, count: number, tag: string): Promise<[number, number]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await register(url, `bench-${tag}-${i}-value`, benchSchema(`Reg${tag}_${i}`, 3 + (i % 5)));
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return [percentile(latencies, 50), percentile(latencies, 99)];
}

export async function benchSchemaRegistry(opts: SchemaRegistryBenchOptions): Promise<BenchFigure[]> {
  const database = uniqueName('bench_registry').replace(/[^a-z0-9]/g, '_');
  await adminQuery(opts.postgres, `CREATE DATABASE "${database}"`);
  const { url, child } = await startRegistryProcess(opts.postgres, database);
  const lookups: number[] = [];
  const lookupsFetch: number[] = [];
  const p50: number[] = [];
  const p99: number[] = [];
  try {
    const ids: number[] = [];
    for (let i = 0; i < 50; i++)
      ids.push(await register(url, `bench-lookup-${i}-value`, benchSchema(`Lookup${i}`, 4)));
    const seconds = opts.quick ? 1 : 5;
    await lookupsPerSecond(url, ids, 32, 1, 'http'); // warm-up: JIT, connections, cache
    for (let run = 0; run < opts.runs; run++) {
      lookups.push(Math.round(await lookupsPerSecond(url, ids, 32, seconds, 'http')));
      lookupsFetch.push(Math.round(await lookupsPerSecond(url, ids, 32, seconds, 'fetch')));
      const [a, b] = await registrationLatency(url, opts.quick ? 100 : 300, `r${run}`);
      p50.push(Number(a.toFixed(2)));
      p99.push(Number(b.toFixed(2)));
    }
  } finally {
    await stopRegistryProcess(child);
    await adminQuery(opts.postgres, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
  return [
    {
      name: 'schema-registry GET /schemas/ids/{id} (32 keep-alive node:http clients)',
      unit: 'requests/s',
      runs: lookups,
      goal: '>= 5,000/s',
    },
    {
      name: 'schema-registry GET /schemas/ids/{id} (32 keep-alive fetch clients)',
      unit: 'requests/s',
      runs: lookupsFetch,
      goal: '>= 5,000/s',
    },
    { name: 'schema-registry register new schema p50', unit: 'ms', runs: p50 },
    { name: 'schema-registry register new schema p99', unit: 'ms', runs: p99, goal: '< 50 ms' },
  ];
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 3;
  benchSchemaRegistry({ runs, quick: argv.includes('--quick'), postgres: stackAddresses().postgres })
    .then((figures) => {
      for (const f of figures) console.log(`${f.name}: ${f.runs.join(', ')} ${f.unit}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
