import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_COMPILE_CACHE, APP_NODE_OPTIONS, appProcessEnv } from './app-process-env';

describe('appProcessEnv', () => {
  it('starts an app with an 8 MiB semi-space and the compile cache when the caller sets neither', () => {
    const env = appProcessEnv({ PATH: '/bin' });
    assert.equal(env.NODE_OPTIONS, '--max-semi-space-size=8');
    assert.equal(env.NODE_COMPILE_CACHE, APP_COMPILE_CACHE);
    assert.equal(env.PATH, '/bin');
    assert.equal(appProcessEnv({ NODE_OPTIONS: '  ' }).NODE_OPTIONS, '--max-semi-space-size=8');
  });

  it('leaves the compile cache off when asked (as the image runs apps), unless the caller set one', () => {
    const env = appProcessEnv({ PATH: '/bin' }, { compileCache: false });
    assert.equal('NODE_COMPILE_CACHE' in env, false);
    assert.equal(env.NODE_OPTIONS, '--max-semi-space-size=8');
    assert.equal(
      appProcessEnv({ NODE_COMPILE_CACHE: '/var/cache/node' }, { compileCache: false }).NODE_COMPILE_CACHE,
      '/var/cache/node',
    );
  });

  it("puts the caller's NODE_OPTIONS after its own, so the caller's value of a flag wins; keeps the caller's cache", () => {
    const env = {
      NODE_OPTIONS: '--max-semi-space-size=64 --enable-source-maps',
      NODE_COMPILE_CACHE: '/var/cache/node',
      SLUICE_CONFIG: 'a.yaml',
    };
    assert.deepEqual(appProcessEnv(env), {
      NODE_OPTIONS: '--max-semi-space-size=8 --max-semi-space-size=64 --enable-source-maps',
      NODE_COMPILE_CACHE: '/var/cache/node',
      SLUICE_CONFIG: 'a.yaml',
    });
    assert.equal(
      env.NODE_OPTIONS,
      '--max-semi-space-size=64 --enable-source-maps',
      'the input is left as it was',
    );
  });

  it("the container's entrypoint starts apps with the same options and no compile cache of its own", () => {
    const script = readFileSync(
      join(__dirname, '..', '..', '..', '..', 'deploy', 'docker', 'start-app.sh'),
      'utf8',
    );
    assert.ok(
      script.includes(`NODE_OPTIONS="${APP_NODE_OPTIONS}`),
      'deploy/docker/start-app.sh sets APP_NODE_OPTIONS',
    );
    assert.doesNotMatch(script, /NODE_COMPILE_CACHE=/);
  });
});
