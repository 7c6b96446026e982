// source-postgres through the management API (a token configured): the connector is listed under
// its topic prefix, pause stops reading the slot (rows committed meanwhile are not published until
// resume), offsets show the slot's confirmed LSN, restart stops and starts the capture in-process
// without losing a row, and the source's own POST routes need the token too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SLUICE_BIN, type SourceApp, SourceTestBed, type TopicReader } from './source-postgres-harness';

/** Runs `sluice <args>`; resolves to its exit code and stderr. */
function sluice(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
    env: { ...process.env, SLUICE_MANAGEMENT_TOKEN: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

const TOKEN = 'it-source-management-token';
const auth = { authorization: `Bearer ${TOKEN}` };

async function call(url: string, method = 'GET', headers: Record<string, string> = {}) {
  const response = await fetch(url, { method, headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('source-postgres as a connector of the management API', () => {
  let bed: SourceTestBed;
  let app: SourceApp;
  let reader: TopicReader;
  let base: string;
  let next = 1;

  const insert = async (count: number) => {
    const from = next;
    next += count;
    await bed.sql(
      `INSERT INTO ${bed.table('t')} SELECT g, 'v' || g FROM generate_series($1::int, $2::int) g`,
      [from, next - 1],
    );
  };
  const published = () => reader.of(bed.topic('t')).length;

  before(async () => {
    bed = await SourceTestBed.open('it_src_conn');
    await bed.sql(`CREATE TABLE ${bed.table('t')} (id int PRIMARY KEY, v text)`);
    await insert(5);
    app = await bed.startApp({ http: { host: '127.0.0.1', port: 0, token: TOKEN } });
    base = `${app.url}/connectors/${bed.name}`;
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    reader = await bed.consume([bed.topic('t')]);
    await reader.until(() => published() === 5);
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('is listed under its topic prefix, RUNNING', async () => {
    const list = await call(`${app.url}/connectors`);
    assert.deepEqual(list.body, [{ name: bed.name, type: 'source', state: 'RUNNING' }]);
  });

  it("the source's own POST routes need the token as well", async () => {
    assert.equal((await call(`${app.url}/pause`, 'POST')).status, 401);
    assert.equal((await call(`${app.url}/snapshots`, 'POST')).status, 401);
    assert.equal((await call(`${app.url}/status`)).status, 200);
  });

  it('sluice snapshot sends the token from --token or SLUICE_MANAGEMENT_TOKEN', async () => {
    const args = ['snapshot', '--table', bed.table('t'), '--source', app.url];
    const without = await sluice(args);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /refused \(401\)/);
    // Past the guard, this source (no signals.table) answers 409: the token was accepted.
    const flag = await sluice([...args, '--token', TOKEN]);
    assert.match(flag.stderr, /refused \(409\).*signal table/);
    const env = await sluice(args, { SLUICE_MANAGEMENT_TOKEN: TOKEN });
    assert.match(env.stderr, /refused \(409\).*signal table/);
  });

  it('pause stops publishing; offsets show the slot position; resume publishes what was committed meanwhile', async () => {
    assert.equal((await call(`${base}/pause`, 'POST')).status, 401);
    const paused = await call(`${base}/pause`, 'POST', auth);
    assert.equal(paused.status, 200);
    assert.equal(paused.body.state, 'PAUSED');
    const before = published();
    await insert(5);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(published(), before, 'nothing published while paused');
    // What the source reports as confirmed is what Postgres holds for the slot (it learns it with
    // the next standby status update).
    await bed.waitFor(
      async () => {
        const offsets = await call(`${base}/offsets`);
        assert.equal(offsets.status, 200);
        const source = offsets.body.source as Record<string, unknown>;
        assert.equal(source.slot, bed.slot);
        assert.equal(source.publication, bed.name);
        assert.match(String(source.confirmedLsn), /^[0-9A-F]+\/[0-9A-F]+$/);
        const [slot] = await bed.sql<{ confirmed: string }>(
          'SELECT confirmed_flush_lsn::text AS confirmed FROM pg_replication_slots WHERE slot_name = $1',
          [bed.slot],
        );
        return source.confirmedLsn === slot!.confirmed || undefined;
      },
      20_000,
      "the slot's confirmed_flush_lsn in GET offsets",
    );
    const resumed = await call(`${base}/resume`, 'POST', auth);
    assert.equal(resumed.body.state, 'RUNNING');
    await reader.until(() => published() === 10);
  });

  it('restart stops and starts the capture, RUNNING again, no row lost', async () => {
    const restarted = await call(`${base}/restart`, 'POST', auth);
    assert.equal(restarted.status, 200);
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
    assert.equal((await call(`${base}/status`)).body.state, 'RUNNING');
    await insert(5);
    await reader.until(
      () => new Set(reader.of(bed.topic('t')).map((r) => JSON.stringify(r.key))).size === 15,
    );
  });
});
