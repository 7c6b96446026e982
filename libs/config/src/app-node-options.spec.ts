import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_NODE_OPTIONS, withAppNodeOptions } from './app-node-options';

describe('withAppNodeOptions', () => {
  it('starts an app with a 16 MiB semi-space when the caller sets no NODE_OPTIONS', () => {
    assert.equal(withAppNodeOptions({ PATH: '/bin' }).NODE_OPTIONS, '--max-semi-space-size=16');
    assert.equal(withAppNodeOptions({ NODE_OPTIONS: '  ' }).NODE_OPTIONS, '--max-semi-space-size=16');
  });

  it("puts the caller's NODE_OPTIONS after its own, so the caller's value of a flag wins", () => {
    const env = { NODE_OPTIONS: '--max-semi-space-size=64 --enable-source-maps', SLUICE_CONFIG: 'a.yaml' };
    assert.deepEqual(withAppNodeOptions(env), {
      NODE_OPTIONS: '--max-semi-space-size=16 --max-semi-space-size=64 --enable-source-maps',
      SLUICE_CONFIG: 'a.yaml',
    });
    assert.equal(
      env.NODE_OPTIONS,
      '--max-semi-space-size=64 --enable-source-maps',
      'the input is left as it was',
    );
  });

  it("the container's entrypoint starts apps with the same options", () => {
    const script = readFileSync(
      join(__dirname, '..', '..', '..', '..', 'deploy', 'docker', 'start-app.sh'),
      'utf8',
    );
    assert.ok(
      script.includes(`NODE_OPTIONS="${APP_NODE_OPTIONS}`),
      'deploy/docker/start-app.sh sets APP_NODE_OPTIONS',
    );
  });
});
