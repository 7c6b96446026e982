// `sluice console` as users start it: prints its address, serves the built front end and its API
// over the apps given (an app that does not answer is shown as such), keeps mutating calls behind
// its --token, and exits 0 on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, PROJECT_ROOT } from '@sluice/test-support';

describe('sluice console', { timeout: 60_000 }, () => {
  it('serves the page and the API, guards mutating calls with --token, stops on SIGTERM', async () => {
    const deadApp = `http://127.0.0.1:${await freePort()}`;
    const child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin', 'sluice.js'),
        'console',
        '--apps',
        deadApp,
        '--port',
        '0',
        '--token',
        'console-token-0123456789',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let url: string | undefined;
      while (!(url = /console: (http:\/\/\S+) \(1 app\(s\)/.exec(out)?.[1]) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(url, out);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script src="\/assets\/app\.js">/);
      const script = await fetch(`${url}/assets/app.js`);
      assert.match(script.headers.get('content-type') ?? '', /javascript/);
      const overview = (await (await fetch(`${url}/api/overview`)).json()) as {
        map: { nodes: Array<{ state: string; app: string; lastError?: string }> };
      };
      assert.equal(overview.map.nodes.length, 1);
      assert.equal(overview.map.nodes[0]!.state, 'UNREACHABLE');
      assert.match(overview.map.nodes[0]!.lastError ?? '', /no answer/);
      const refused = await fetch(`${url}/api/connectors/x/pause`, { method: 'POST' });
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /Bearer/);
      const passed = await fetch(`${url}/api/connectors/x/pause`, {
        method: 'POST',
        headers: { authorization: 'Bearer console-token-0123456789' },
      });
      assert.equal(passed.status, 404, 'past the guard: no connector x');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
  });
});
