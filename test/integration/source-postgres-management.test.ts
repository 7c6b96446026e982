// source-postgres malformed input: the management API answers 400 naming the field or 404 for a
// table it does not capture; a malformed configuration file stops main.js with exit code 1 and the
// YAML path of the bad value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { freePort, post, SLUICE_BIN, type SourceApp, SourceTestBed } from './source-postgres-harness';

describe('source-postgres management API and configuration errors', () => {
  let bed: SourceTestBed;
  let app: SourceApp;

  before(async () => {
    bed = await SourceTestBed.open('it_src_mgmt');
    await bed.sql(`CREATE TABLE ${bed.table('t')} (id int PRIMARY KEY)`);
    app = await bed.startApp();
    await bed.waitForStatus(app.url, (s) => s.phase === 'streaming');
  });

  after(async () => {
    await bed?.cleanup();
  });

  it('POST /tables/:table/resume with a bad action is 400 naming the field', async () => {
    const answer = await post(`${app.url}/tables/${bed.table('t')}/resume`, { action: 'later' });
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.message), /at action:/);
  });

  it('POST /tables/:table/resume with an unknown field or no body is 400', async () => {
    const extra = await post(`${app.url}/tables/${bed.table('t')}/resume`, { action: 'retry', force: true });
    assert.equal(extra.status, 400);
    assert.match(String(extra.body.message), /force/);
    const none = await post(`${app.url}/tables/${bed.table('t')}/resume`);
    assert.equal(none.status, 400);
    assert.match(String(none.body.message), /action/);
  });

  it('POST /tables/:table/resume for a table the source does not capture is 404', async () => {
    const answer = await post(`${app.url}/tables/x.y/resume`, { action: 'retry' });
    assert.equal(answer.status, 404);
    assert.match(String(answer.body.message), /x\.y/);
  });

  it('POST /tables/:table/resume for a captured table that is not held is 202 and changes nothing', async () => {
    const answer = await post(`${app.url}/tables/${bed.table('t')}/resume`, { action: 'retry' });
    assert.equal(answer.status, 202);
    assert.equal(answer.body.phase, 'streaming');
    assert.deepEqual(answer.body.heldTables, []);
  });

  it('pause and resume move the phase and keep the process answering', async () => {
    assert.equal((await post(`${app.url}/pause`)).body.phase, 'paused');
    assert.equal((await post(`${app.url}/resume`)).body.phase, 'streaming');
    const live = await fetch(`${app.url}/health/live`);
    assert.equal(live.status, 200);
  });

  for (const [what, config, path] of [
    ['a bad snapshot mode', { snapshot: { mode: 'sometimes' } }, 'snapshot.mode'],
    ['a bad table pattern', { tables: { include: ['no_schema_table'] } }, 'tables.include[0]'],
    ['an unknown setting', { slot: { name: 'ok', colour: 'red' } }, 'slot'],
  ] as const) {
    it(`main.js exits 1 naming the YAML path for ${what}`, async () => {
      const file = bed.configFile({ ...bed.config(), ...config });
      const { exited, output } = bed.spawnMain(file);
      assert.equal(await exited, 1);
      assert.ok(output().includes(path), `"${path}" in: ${output()}`);
      assert.ok(output().includes(file), `the file named in: ${output()}`);
    });
  }

  it('sluice run source-postgres --config starts the app and SIGINT stops it cleanly', async () => {
    const port = await freePort();
    const slot = `${bed.slot}_cli`;
    bed.trackSlot(slot);
    const file = bed.configFile(bed.config({ slot: { name: slot }, http: { host: '127.0.0.1', port } }));
    const child = spawn(process.execPath, [SLUICE_BIN, 'run', 'source-postgres', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const status = await bed.waitForStatus(
        `http://127.0.0.1:${port}`,
        (s) => s.phase === 'streaming',
        60_000,
      );
      assert.equal(status.slot, slot);
    } catch (error) {
      throw new Error(`${(error as Error).message}; output: ${output}`, { cause: error });
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, output);
  });
});
